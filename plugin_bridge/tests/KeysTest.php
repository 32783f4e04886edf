<?php
/**
 * Revoking the server's WooCommerce keys, outside WordPress.
 *
 * @package WooxeroBridge
 */

use PHPUnit\Framework\TestCase;

/**
 * Only the server's keys go: by id, and only rows WooCommerce made for the app.
 */
final class KeysTest extends TestCase {

	const APP = 'Sync orders with Xero';

	protected function setUp(): void {
		$GLOBALS['wooxero_test_options']  = array();
		$GLOBALS['wooxero_test_requests'] = array();
		$GLOBALS['wooxero_test_home']     = 'https://shop.example';
		$GLOBALS['wpdb']->queries         = array();
		$GLOBALS['wpdb']->keys            = array(
			3 => 'Accounting export',                              // made by hand for another app
			4 => self::APP . ' - API (2026-11-01 09:00:00)',       // replaced by 7
			5 => 'Sync_orders_with_Xero - API (2026-11-02 10:00:00)', // LIKE's _ must not match it
			7 => self::APP . ' - API (2026-12-01 08:00:00)',       // the server's current key
		);
	}

	private function keys( $current, $retired, $app = self::APP ): array {
		return array( 'api_keys' => array( 'app_name' => $app, 'current' => $current, 'retired' => $retired ) );
	}

	public function test_an_answer_revokes_the_replaced_keys_of_the_app_and_nothing_else(): void {
		Wooxero_Bridge_Keys::learn( $this->keys( 7, array( 4, 3, 5 ) ) );
		$this->assertSame( array( 3, 5, 7 ), array_keys( $GLOBALS['wpdb']->keys ) );
		$this->assertSame(
			array( 'app_name' => self::APP, 'current' => 7, 'retired' => array( 4, 3, 5 ) ),
			get_option( 'wooxero_bridge_api_keys' )
		);
		$this->assertFalse( get_option( 'wooxero_bridge_api_keys:autoload' ) );
	}

	public function test_the_current_key_is_never_revoked_as_a_replaced_one(): void {
		Wooxero_Bridge_Keys::learn( $this->keys( 7, array( 7 ) ) );
		$this->assertArrayHasKey( 7, $GLOBALS['wpdb']->keys );
	}

	public function test_answers_without_valid_keys_change_nothing(): void {
		foreach ( array(
			array(),
			array( 'api_keys' => 'all' ),
			$this->keys( 7, array( 4 ), '' ),
			$this->keys( 7, array( '4', -4, 4.0, array( 4 ) ) ),
		) as $answer ) {
			Wooxero_Bridge_Keys::learn( $answer );
		}
		$this->assertSame( array( 3, 4, 5, 7 ), array_keys( $GLOBALS['wpdb']->keys ) );
		$this->assertSame( array(), $GLOBALS['wpdb']->queries );
	}

	public function test_uninstalling_revokes_the_current_key_too(): void {
		$this->assertSame( 2, Wooxero_Bridge_Keys::revoke_all( $this->keys( 7, array( 4 ) ) ) );
		$this->assertSame( array( 3, 5 ), array_keys( $GLOBALS['wpdb']->keys ) );
	}

	public function test_when_the_server_does_not_answer_the_keys_it_last_named_are_revoked(): void {
		Wooxero_Bridge_Keys::learn( $this->keys( 7, array() ) );
		$this->assertSame( 1, Wooxero_Bridge_Keys::revoke_all( new WP_Error( 'http', 'timed out' ) ) );
		$this->assertSame( array( 3, 4, 5 ), array_keys( $GLOBALS['wpdb']->keys ) );
	}

	public function test_an_answer_naming_another_app_is_not_followed(): void {
		$GLOBALS['wpdb']->keys[8] = 'Zapier - API (2026-12-01 08:00:00)';
		$this->assertSame( 0, Wooxero_Bridge_Keys::revoke_all( $this->keys( null, array( 8 ), 'Zapier' ) ) );
		Wooxero_Bridge_Keys::learn( $this->keys( 7, array( 8 ), 'Zapier' ) );
		$this->assertArrayHasKey( 8, $GLOBALS['wpdb']->keys );
	}

	public function test_a_replaced_key_is_deleted_once_not_on_every_answer(): void {
		Wooxero_Bridge_Keys::learn( $this->keys( 7, array( 4 ) ) );
		$asked = count( $GLOBALS['wpdb']->queries );
		Wooxero_Bridge_Keys::learn( $this->keys( 7, array( 4 ) ) );
		$this->assertSame( $asked, count( $GLOBALS['wpdb']->queries ) );
		$this->assertSame( array( 4 ), get_option( 'wooxero_bridge_revoked_keys' ) );
	}

	public function test_every_signed_answer_is_read_for_keys(): void {
		add_option( 'wooxero_bridge_store_id', 'abc' );
		add_option( 'wooxero_bridge_signing_secret', 'shh' );
		$GLOBALS['wooxero_test_answer'] = array(
			'response' => array( 'code' => 200 ),
			'body'     => json_encode( array( 'url' => 'https://sync.example.com/dashboard/embed?token=t' ) + $this->keys( 7, array( 4 ) ) ),
		);
		Wooxero_Bridge_Client::call( 'POST', 'embed', array( 'target' => 'main' ) );
		$this->assertArrayNotHasKey( 4, $GLOBALS['wpdb']->keys );
		$this->assertArrayHasKey( 7, $GLOBALS['wpdb']->keys );
	}
}

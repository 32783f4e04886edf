<?php
/**
 * Deleting the server's webhooks on uninstall, outside WordPress.
 *
 * @package WooxeroBridge
 */

use PHPUnit\Framework\TestCase;

/**
 * Only the webhooks named, and only those delivering to the server's address for the store.
 */
final class WebhooksTest extends TestCase {

	const OURS = 'https://sync.example.com/webhooks/woocommerce/abc';

	protected function setUp(): void {
		$GLOBALS['wooxero_test_webhooks'] = array(
			21 => self::OURS,
			22 => self::OURS,
			23 => 'https://crm.example.com/hooks', // another app's
			24 => 'https://sync.example.com/webhooks/woocommerce/another-store',
		);
	}

	private function answer( $url, $ids ): array {
		return array( 'state' => 'uninstalled', 'webhooks' => array( 'delivery_url' => $url, 'ids' => $ids ) );
	}

	public function test_the_webhooks_named_that_deliver_to_the_server_go(): void {
		$this->assertSame( 2, Wooxero_Bridge_Webhooks::remove( $this->answer( self::OURS, array( 21, 22, 23, 24, 99 ) ) ) );
		$this->assertSame( array( 23, 24 ), array_keys( $GLOBALS['wooxero_test_webhooks'] ) );
	}

	public function test_an_address_that_is_not_the_servers_deletes_nothing(): void {
		$this->assertSame( 0, Wooxero_Bridge_Webhooks::remove( $this->answer( 'https://crm.example.com/hooks', array( 23 ) ) ) );
		$this->assertSame( 0, Wooxero_Bridge_Webhooks::remove( $this->answer( self::OURS, array( '21', -21 ) ) ) );
		$this->assertSame( 0, Wooxero_Bridge_Webhooks::remove( new WP_Error( 'http', 'timed out' ) ) );
		$this->assertCount( 4, $GLOBALS['wooxero_test_webhooks'] );
	}
}

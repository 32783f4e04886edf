<?php
/**
 * The bridge's signing and payloads, outside WordPress.
 *
 * @package WooxeroBridge
 */

use PHPUnit\Framework\TestCase;

/**
 * Signing and the activation and signed-call payloads.
 */
final class BridgeTest extends TestCase {

	protected function setUp(): void {
		$GLOBALS['wooxero_test_options']  = array();
		$GLOBALS['wooxero_test_requests'] = array();
		$GLOBALS['wooxero_test_home']     = 'https://shop.example';
	}

	private function answer( int $code, array $body ): void {
		$GLOBALS['wooxero_test_answer'] = array( 'response' => array( 'code' => $code ), 'body' => json_encode( $body ) );
	}

	public function test_the_signature_is_hmac_sha256_of_the_canonical_request(): void {
		$body      = '{"target":"main"}';
		$canonical = "POST\n/api/bridge/v1/embed\n1700000000\nabcdefabcdefabcd\n" . hash( 'sha256', $body );
		$this->assertSame( $canonical, Wooxero_Bridge_Signer::canonical( 'post', '/api/bridge/v1/embed', '1700000000', 'abcdefabcdefabcd', $body ) );
		$this->assertSame( hash_hmac( 'sha256', $canonical, 's3cret' ), Wooxero_Bridge_Signer::sign( 's3cret', 'POST', '/api/bridge/v1/embed', '1700000000', 'abcdefabcdefabcd', $body ) );
	}

	public function test_signed_headers_carry_a_fresh_nonce_each_time(): void {
		$first  = Wooxero_Bridge_Signer::headers( 'store', 'secret', 'GET', '/api/bridge/v1/status', '', 1700000000 );
		$second = Wooxero_Bridge_Signer::headers( 'store', 'secret', 'GET', '/api/bridge/v1/status', '', 1700000000 );
		$this->assertSame( '1700000000', $first['X-Wooxero-Timestamp'] );
		$this->assertMatchesRegularExpression( '/^[a-f0-9]{32}$/', $first['X-Wooxero-Nonce'] );
		$this->assertNotSame( $first['X-Wooxero-Nonce'], $second['X-Wooxero-Nonce'] );
		$this->assertNotSame( $first['X-Wooxero-Signature'], $second['X-Wooxero-Signature'] );
	}

	public function test_activation_sends_exactly_the_consented_fields_and_keeps_the_secret_unloaded(): void {
		$this->answer( 200, array( 'store_id' => 'abc', 'signing_secret' => 'shh', 'state' => 'active' ) );
		$this->assertTrue( Wooxero_Bridge_Client::activate( new WP_User() ) );
		$request = $GLOBALS['wooxero_test_requests'][0];
		$this->assertSame( 'https://sync.example.com/api/bridge/v1/activate', $request['url'] );
		$sent = json_decode( $request['args']['body'], true );
		$this->assertSame(
			array( 'site_url', 'admin_email', 'admin_username', 'user_id', 'site_name', 'admin_url', 'challenge', 'plugin_version', 'wp_version', 'wc_version' ),
			array_keys( $sent )
		);
		$this->assertSame( array( 'https://shop.example/', 'owner@shop.example', 'owner', 7 ), array( $sent['site_url'], $sent['admin_email'], $sent['admin_username'], $sent['user_id'] ) );
		$this->assertSame( "Kiwi & Co's Shop", $sent['site_name'] ); // not HTML-encoded
		$this->assertSame( 'https://shop.example/wp/wp-admin/', $sent['admin_url'] );
		// The notice lists every field sent but the challenge and the versions it names.
		$this->assertSame( array_keys( Wooxero_Bridge_Client::consent_fields( new WP_User() ) ), array_slice( array_keys( $sent ), 0, 6 ) );
		$this->assertSame( $sent['challenge'], $request['challenge'] ); // held while the server asks
		$this->assertFalse( get_transient( 'wooxero_bridge_challenge' ) ); // and gone afterwards
		$this->assertSame( 'shh', get_option( 'wooxero_bridge_signing_secret' ) );
		$this->assertFalse( get_option( 'wooxero_bridge_signing_secret:autoload' ) );
	}

	public function test_a_refused_activation_keeps_nothing_and_says_why(): void {
		$this->answer( 403, array( 'error' => 'control of the site could not be proven' ) );
		$result = Wooxero_Bridge_Client::activate( new WP_User() );
		$this->assertInstanceOf( WP_Error::class, $result );
		$this->assertStringContainsString( 'control of the site could not be proven', $result->get_error_message() );
		$this->assertFalse( Wooxero_Bridge_Client::is_linked() );
	}

	public function test_signed_calls_sign_the_path_and_body_they_send(): void {
		add_option( 'wooxero_bridge_store_id', 'abc' );
		add_option( 'wooxero_bridge_signing_secret', 'shh' );
		$this->answer( 200, array( 'url' => 'https://sync.example.com/dashboard/embed?token=t' ) );
		$answer  = Wooxero_Bridge_Client::call( 'POST', 'embed', array( 'target' => 'settings' ) );
		$request = $GLOBALS['wooxero_test_requests'][0];
		$headers = $request['args']['headers'];
		$this->assertSame( 'https://sync.example.com/dashboard/embed?token=t', $answer['url'] );
		$this->assertSame( '{"target":"settings"}', $request['args']['body'] );
		$this->assertSame(
			Wooxero_Bridge_Signer::sign( 'shh', 'POST', '/api/bridge/v1/embed', $headers['X-Wooxero-Timestamp'], $headers['X-Wooxero-Nonce'], '{"target":"settings"}' ),
			$headers['X-Wooxero-Signature']
		);
		$this->assertSame( 'abc', $headers['X-Wooxero-Store'] );
	}

	public function test_a_copy_of_the_site_at_another_address_does_not_act_for_the_store(): void {
		$this->answer( 200, array( 'store_id' => 'abc', 'signing_secret' => 'shh', 'state' => 'active' ) );
		Wooxero_Bridge_Client::activate( new WP_User() );
		$this->assertTrue( Wooxero_Bridge_Client::is_linked() );
		$GLOBALS['wooxero_test_home']     = 'https://staging.shop.example'; // the database cloned
		$GLOBALS['wooxero_test_requests'] = array();

		$this->assertTrue( Wooxero_Bridge_Client::site_moved() );
		$this->assertFalse( Wooxero_Bridge_Client::is_linked() );
		$this->assertInstanceOf( WP_Error::class, Wooxero_Bridge_Client::call( 'POST', 'deactivate', array() ) );
		$this->assertSame( array(), $GLOBALS['wooxero_test_requests'] ); // nothing sent for the real store
	}
}

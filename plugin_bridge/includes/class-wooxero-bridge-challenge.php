<?php
/**
 * The ownership challenge: while an activation started here is under way, the server asks
 * this route to answer a nonce with an HMAC keyed by the challenge the plugin sent. The
 * challenge itself is never revealed, and there is nothing to answer when no activation is
 * under way.
 *
 * @package WooxeroBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * The REST route `wooxero-bridge/v1/challenge`.
 */
class Wooxero_Bridge_Challenge {

	/**
	 * Hook the route.
	 */
	public static function register() {
		add_action( 'rest_api_init', array( __CLASS__, 'route' ) );
	}

	/**
	 * Register the route; it is public by design (it proves possession, reveals nothing).
	 */
	public static function route() {
		register_rest_route(
			'wooxero-bridge/v1',
			'/challenge',
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'answer' ),
				'permission_callback' => '__return_true',
				'args'                => array(
					'nonce' => array(
						'type'              => 'string',
						'required'          => true,
						'sanitize_callback' => 'sanitize_text_field',
						'validate_callback' => static function ( $value ) {
							return is_string( $value ) && 1 === preg_match( '/^[A-Za-z0-9]{16,128}$/', $value );
						},
					),
				),
			)
		);
	}

	/**
	 * The proof for the server's nonce.
	 *
	 * @param WP_REST_Request $request The server's request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function answer( $request ) {
		$challenge = get_transient( Wooxero_Bridge_Client::CHALLENGE );
		if ( ! is_string( $challenge ) || '' === $challenge ) {
			return new WP_Error( 'wooxero_bridge_no_activation', __( 'No activation is under way on this site.', 'sync-orders-with-xero' ), array( 'status' => 404 ) );
		}
		return new WP_REST_Response( array( 'proof' => hash_hmac( 'sha256', (string) $request['nonce'], $challenge ) ), 200 );
	}
}

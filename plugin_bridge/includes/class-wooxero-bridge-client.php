<?php
/**
 * Calls to the wooxero server: the unsigned activation, every other call signed.
 *
 * @package WooxeroBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * The server's bridge API as the plugin uses it.
 */
class Wooxero_Bridge_Client {

	const OPTION_STORE_ID   = 'wooxero_bridge_store_id';
	const OPTION_SECRET     = 'wooxero_bridge_signing_secret';
	const OPTION_SITE_URL   = 'wooxero_bridge_site_url';
	const CHALLENGE         = 'wooxero_bridge_challenge';
	const CHALLENGE_SECONDS = 600;
	const API_PATH          = '/api/bridge/v1/';

	/**
	 * Whether this site holds a store id and secret from the server, for its own address.
	 *
	 * @return bool
	 */
	public static function is_linked() {
		return '' !== (string) get_option( self::OPTION_STORE_ID, '' )
			&& '' !== (string) get_option( self::OPTION_SECRET, '' )
			&& ! self::site_moved();
	}

	/**
	 * Whether this site's address is not the one it was linked with: a staging copy or a
	 * local clone of the database, or a move. Such a site must not act for the store it
	 * was copied from, so it asks for consent again.
	 *
	 * @return bool
	 */
	public static function site_moved() {
		$linked = (string) get_option( self::OPTION_SITE_URL, '' );
		return '' !== $linked && home_url( '/' ) !== $linked;
	}

	/**
	 * The fields the consent notice lists, exactly as they are sent.
	 *
	 * @param WP_User $user The admin who agrees.
	 * @return array<string,mixed>
	 */
	public static function consent_fields( $user ) {
		return array(
			'site_url'       => home_url( '/' ),
			'admin_email'    => $user->user_email,
			'admin_username' => $user->user_login,
			'user_id'        => (int) $user->ID,
			'site_name'      => wp_specialchars_decode( (string) get_bloginfo( 'name' ), ENT_QUOTES ),
			'admin_url'      => admin_url(),
		);
	}

	/**
	 * Ask the server to link this site; it calls the site back to check the challenge.
	 *
	 * @param WP_User $user The admin who agreed.
	 * @return true|WP_Error
	 */
	public static function activate( $user ) {
		$challenge = bin2hex( random_bytes( 32 ) );
		set_transient( self::CHALLENGE, $challenge, self::CHALLENGE_SECONDS );
		$body = self::consent_fields( $user ) + array(
			'challenge'      => $challenge,
			'plugin_version' => WOOXERO_BRIDGE_VERSION,
			'wp_version'     => get_bloginfo( 'version' ),
			'wc_version'     => defined( 'WC_VERSION' ) ? WC_VERSION : '',
		);
		$answer = wp_remote_post(
			self::url( 'activate' ),
			array(
				'timeout' => 30,
				'headers' => array( 'Content-Type' => 'application/json' ),
				'body'    => wp_json_encode( $body ),
			)
		);
		delete_transient( self::CHALLENGE );
		$data = self::decode( $answer );
		if ( is_wp_error( $data ) ) {
			return $data;
		}
		if ( empty( $data['store_id'] ) || empty( $data['signing_secret'] ) ) {
			return new WP_Error( 'wooxero_bridge', __( 'The server answered without a store id.', 'sync-orders-with-xero' ) );
		}
		self::save_option( self::OPTION_STORE_ID, sanitize_text_field( $data['store_id'] ) );
		self::save_option( self::OPTION_SECRET, sanitize_text_field( $data['signing_secret'] ) );
		self::save_option( self::OPTION_SITE_URL, home_url( '/' ) );
		return true;
	}

	/**
	 * A signed call.
	 *
	 * @param string     $method  GET or POST.
	 * @param string     $name    The endpoint (embed, deactivate, uninstall).
	 * @param array|null $payload JSON body, if any.
	 * @param int        $timeout Seconds.
	 * @return array|WP_Error The decoded answer.
	 */
	public static function call( $method, $name, $payload = null, $timeout = 5 ) {
		if ( ! self::is_linked() ) {
			return new WP_Error( 'wooxero_bridge', __( 'This store is not set up with the server yet.', 'sync-orders-with-xero' ) );
		}
		$url     = self::url( $name );
		$body    = null === $payload ? '' : wp_json_encode( $payload );
		$path    = (string) wp_parse_url( $url, PHP_URL_PATH );
		$headers = Wooxero_Bridge_Signer::headers(
			(string) get_option( self::OPTION_STORE_ID ),
			(string) get_option( self::OPTION_SECRET ),
			$method,
			$path,
			$body
		);
		if ( '' !== $body ) {
			$headers['Content-Type'] = 'application/json';
		}
		$args = array(
			'method'  => $method,
			'timeout' => $timeout,
			'headers' => $headers,
		);
		if ( '' !== $body ) {
			$args['body'] = $body;
		}
		$answer = self::decode( wp_remote_request( $url, $args ) );
		if ( is_array( $answer ) ) {
			Wooxero_Bridge_Keys::learn( $answer ); // every signed answer names the server's WooCommerce keys
		}
		return $answer;
	}

	/**
	 * The server URL of an endpoint.
	 *
	 * @param string $name Endpoint name.
	 * @return string
	 */
	public static function url( $name ) {
		return untrailingslashit( WOOXERO_BRIDGE_SERVER_URL ) . self::API_PATH . $name;
	}

	/**
	 * The JSON of a 2xx answer, or a WP_Error with the server's message.
	 *
	 * @param array|WP_Error $answer The HTTP answer.
	 * @return array|WP_Error
	 */
	private static function decode( $answer ) {
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		$code = (int) wp_remote_retrieve_response_code( $answer );
		$data = json_decode( (string) wp_remote_retrieve_body( $answer ), true );
		if ( $code < 200 || $code >= 300 ) {
			$message = is_array( $data ) && isset( $data['error'] ) ? (string) $data['error'] : '';
			if ( is_array( $data ) && isset( $data['errors'] ) && is_array( $data['errors'] ) ) {
				$message = implode( '; ', array_map( 'strval', $data['errors'] ) );
			}
			/* translators: 1: HTTP status, 2: the server's message. */
			return new WP_Error( 'wooxero_bridge', sprintf( __( 'The server refused (%1$d): %2$s', 'sync-orders-with-xero' ), $code, $message ) );
		}
		return is_array( $data ) ? $data : array();
	}

	/**
	 * Store an option that is not autoloaded (secrets are read only when needed).
	 *
	 * @param string $name  Option name.
	 * @param string $value Value.
	 */
	private static function save_option( $name, $value ) {
		if ( false === get_option( $name, false ) ) {
			add_option( $name, $value, '', false );
		} else {
			update_option( $name, $value, false );
		}
	}
}

<?php
/**
 * Signing of bridge calls: HMAC-SHA256 with the store's secret over the method, path,
 * timestamp, a nonce and the SHA-256 of the body, as the server checks them.
 *
 * @package WooxeroBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Builds the headers of a signed call.
 */
class Wooxero_Bridge_Signer {

	/**
	 * The string that is signed.
	 *
	 * @param string $method    HTTP method.
	 * @param string $path      Request path on the server (no query string).
	 * @param string $timestamp Unix seconds.
	 * @param string $nonce     A value new for every call.
	 * @param string $body      The raw request body ('' when none).
	 * @return string
	 */
	public static function canonical( $method, $path, $timestamp, $nonce, $body ) {
		return implode( "\n", array( strtoupper( $method ), $path, $timestamp, $nonce, hash( 'sha256', $body ) ) );
	}

	/**
	 * The hex signature of a call.
	 *
	 * @param string $secret    The store's signing secret.
	 * @param string $method    HTTP method.
	 * @param string $path      Request path.
	 * @param string $timestamp Unix seconds.
	 * @param string $nonce     Nonce.
	 * @param string $body      Raw body.
	 * @return string
	 */
	public static function sign( $secret, $method, $path, $timestamp, $nonce, $body ) {
		return hash_hmac( 'sha256', self::canonical( $method, $path, $timestamp, $nonce, $body ), $secret );
	}

	/**
	 * The headers of a signed call made now.
	 *
	 * @param string $store_id The store's id on the server.
	 * @param string $secret   The store's signing secret.
	 * @param string $method   HTTP method.
	 * @param string $path     Request path.
	 * @param string $body     Raw body.
	 * @param int    $now      Unix seconds (the current time unless given).
	 * @param string $nonce    Nonce (a random one unless given).
	 * @return array<string,string>
	 */
	public static function headers( $store_id, $secret, $method, $path, $body, $now = 0, $nonce = '' ) {
		$timestamp = (string) ( $now ? $now : time() );
		$nonce     = '' !== $nonce ? $nonce : bin2hex( random_bytes( 16 ) );
		return array(
			'X-Wooxero-Store'     => $store_id,
			'X-Wooxero-Timestamp' => $timestamp,
			'X-Wooxero-Nonce'     => $nonce,
			'X-Wooxero-Signature' => self::sign( $secret, $method, $path, $timestamp, $nonce, $body ),
		);
	}
}

<?php
/**
 * The server's webhooks in WooCommerce, deleted when the plugin is: the server would delete
 * them itself with its REST key, but the plugin deletes that key at once, so the uninstall's
 * answer names them (their ids and the delivery URL they must have) and they go here, through
 * WooCommerce's own API. A webhook with another delivery URL is never touched.
 *
 * @package WooxeroBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Deletes the server's webhooks on uninstall.
 */
class Wooxero_Bridge_Webhooks {

	const MAX_IDS = 100;

	/**
	 * Delete the webhooks the uninstall's answer names.
	 *
	 * @param mixed $answer The server's decoded answer, or a WP_Error.
	 * @return int How many were deleted.
	 */
	public static function remove( $answer ) {
		$webhooks = is_array( $answer ) && isset( $answer['webhooks'] ) && is_array( $answer['webhooks'] ) ? $answer['webhooks'] : array();
		$url      = isset( $webhooks['delivery_url'] ) && is_string( $webhooks['delivery_url'] ) ? $webhooks['delivery_url'] : '';
		$ids      = isset( $webhooks['ids'] ) && is_array( $webhooks['ids'] ) ? array_slice( $webhooks['ids'], 0, self::MAX_IDS ) : array();
		// Only the server's own address: an answer cannot make the plugin delete other hooks.
		$ours = untrailingslashit( WOOXERO_BRIDGE_SERVER_URL ) . '/webhooks/woocommerce/';
		if ( '' === $url || 0 !== strpos( $url, $ours ) || ! function_exists( 'wc_get_webhook' ) ) {
			return 0;
		}
		$deleted = 0;
		foreach ( $ids as $id ) {
			if ( ! is_int( $id ) || $id <= 0 ) {
				continue;
			}
			$webhook = wc_get_webhook( $id );
			if ( $webhook && $webhook->get_delivery_url() === $url ) {
				$webhook->delete( true );
				++$deleted;
			}
		}
		return $deleted;
	}
}

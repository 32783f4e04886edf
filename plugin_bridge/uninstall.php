<?php
/**
 * Uninstalling: tell the server (its data is kept for the operator's retention period, or
 * erased at once if the admin chose so), delete its webhooks and revoke the WooCommerce REST
 * keys granted to it, then remove every option and transient of the plugin.
 *
 * @package WooxeroBridge
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;
defined( 'ABSPATH' ) || exit;

if ( file_exists( __DIR__ . '/config.php' ) ) {
	require_once __DIR__ . '/config.php';
}
if ( ! defined( 'WOOXERO_BRIDGE_SERVER_URL' ) ) {
	define( 'WOOXERO_BRIDGE_SERVER_URL', '' );
}
if ( ! defined( 'WOOXERO_BRIDGE_VERSION' ) ) {
	define( 'WOOXERO_BRIDGE_VERSION', '1.1.0' );
}
require_once __DIR__ . '/includes/class-wooxero-bridge-signer.php';
require_once __DIR__ . '/includes/class-wooxero-bridge-client.php';
require_once __DIR__ . '/includes/class-wooxero-bridge-keys.php';
require_once __DIR__ . '/includes/class-wooxero-bridge-webhooks.php';

// A staging copy or a moved site is not linked (is_linked() checks the address): it tells
// the server nothing and revokes nothing, so deleting the plugin there never uninstalls the
// real store nor cuts its access.
if ( Wooxero_Bridge_Client::is_linked() && '' !== WOOXERO_BRIDGE_SERVER_URL ) {
	$wooxero_bridge_erase = 'yes' === get_option( 'wooxero_bridge_erase_on_uninstall', 'no' );
	$wooxero_bridge_answer = Wooxero_Bridge_Client::call( 'POST', 'uninstall', array( 'erase' => $wooxero_bridge_erase ), 5 );
	// The answer names the server's webhooks and keys; if the server cannot be reached, the
	// keys last named are revoked (its webhooks then fail and WooCommerce disables them).
	Wooxero_Bridge_Webhooks::remove( $wooxero_bridge_answer );
	Wooxero_Bridge_Keys::revoke_all( $wooxero_bridge_answer );
}

$wooxero_bridge_options = array(
	'wooxero_bridge_store_id',
	'wooxero_bridge_signing_secret',
	'wooxero_bridge_site_url',
	'wooxero_bridge_needs_consent',
	'wooxero_bridge_erase_on_uninstall',
	'wooxero_bridge_api_keys',
	'wooxero_bridge_revoked_keys',
);
foreach ( $wooxero_bridge_options as $wooxero_bridge_option ) {
	delete_option( $wooxero_bridge_option );
}
foreach ( array( 'wooxero_bridge_challenge', 'wooxero_bridge_notice_' . get_current_user_id() ) as $wooxero_bridge_transient ) {
	delete_transient( $wooxero_bridge_transient );
}

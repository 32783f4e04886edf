<?php
/**
 * Plugin Name:          Sync orders with Xero – wooxero bridge
 * Plugin URI:           https://github.com/wooxero/wooxero
 * Description:          Connects this WooCommerce store to a wooxero server, which turns orders into Xero invoices or quotes. Nothing is sent until you agree.
 * Version:              1.1.0
 * Requires at least:    6.1
 * Requires PHP:         7.4
 * Requires Plugins:     woocommerce
 * WC requires at least: 7.0
 * WC tested up to:      9.4
 * Author:               wooxero
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          sync-orders-with-xero
 * Domain Path:          /languages
 *
 * @package WooxeroBridge
 */

defined( 'ABSPATH' ) || exit;

define( 'WOOXERO_BRIDGE_VERSION', '1.1.0' );
define( 'WOOXERO_BRIDGE_FILE', __FILE__ );
define( 'WOOXERO_BRIDGE_DIR', plugin_dir_path( __FILE__ ) );

if ( file_exists( WOOXERO_BRIDGE_DIR . 'config.php' ) ) {
	require_once WOOXERO_BRIDGE_DIR . 'config.php'; // Written by the server when the operator downloads the plugin.
}
if ( ! defined( 'WOOXERO_BRIDGE_SERVER_URL' ) ) {
	define( 'WOOXERO_BRIDGE_SERVER_URL', '' );
}

require_once WOOXERO_BRIDGE_DIR . 'includes/class-wooxero-bridge-signer.php';
require_once WOOXERO_BRIDGE_DIR . 'includes/class-wooxero-bridge-client.php';
require_once WOOXERO_BRIDGE_DIR . 'includes/class-wooxero-bridge-keys.php';
require_once WOOXERO_BRIDGE_DIR . 'includes/class-wooxero-bridge-challenge.php';
require_once WOOXERO_BRIDGE_DIR . 'includes/class-wooxero-bridge-admin.php';

register_activation_hook( __FILE__, array( 'Wooxero_Bridge_Admin', 'on_activation' ) );
register_deactivation_hook( __FILE__, array( 'Wooxero_Bridge_Admin', 'on_deactivation' ) );

add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', WOOXERO_BRIDGE_FILE, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', WOOXERO_BRIDGE_FILE, true );
		}
	}
);

// WordPress loads the plugin's translations by itself (since 4.6, from translate.wordpress.org),
// and nothing here translates a string before `init`.
add_action(
	'plugins_loaded',
	static function () {
		if ( ! class_exists( 'WooCommerce' ) ) {
			add_action( 'admin_notices', array( 'Wooxero_Bridge_Admin', 'woocommerce_missing_notice' ) );
			return; // Nothing else runs without WooCommerce.
		}
		Wooxero_Bridge_Challenge::register();
		Wooxero_Bridge_Admin::register();
	}
);

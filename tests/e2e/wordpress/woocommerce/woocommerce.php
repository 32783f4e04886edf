<?php
/**
 * Plugin Name: WooCommerce
 * Description: TEST-ONLY stand-in for WooCommerce, which cannot be installed offline. It
 *              declares what the bridge plugin looks for (the WooCommerce class, WC_VERSION,
 *              the manage_woocommerce capability, the before_woocommerce_init hook and
 *              FeaturesUtil). Never shipped.
 * Version:     9.4.0
 *
 * @package WooxeroBridgeTests
 */

namespace {
	defined( 'ABSPATH' ) || exit;

	define( 'WC_VERSION', '9.4.0' );

	/**
	 * What plugins test for to know WooCommerce is active.
	 */
	final class WooCommerce {
		/**
		 * The version, as WooCommerce carries it.
		 *
		 * @var string
		 */
		public $version = WC_VERSION;
	}

	register_activation_hook(
		__FILE__,
		static function () {
			// WooCommerce gives shop managers and administrators this capability on install.
			get_role( 'administrator' )->add_cap( 'manage_woocommerce' );
		}
	);

	add_action(
		'plugins_loaded',
		static function () {
			do_action( 'before_woocommerce_init' );
		},
		5
	);
}

namespace Automattic\WooCommerce\Utilities {
	/**
	 * Records the feature compatibility plugins declare (shown by the e2e test).
	 */
	final class FeaturesUtil {
		/**
		 * Declared compatibilities, by plugin file then feature.
		 *
		 * @var array<string,array<string,bool>>
		 */
		public static $declared = array();

		/**
		 * As WooCommerce's FeaturesUtil::declare_compatibility.
		 *
		 * @param string $feature     Feature id.
		 * @param string $plugin_file Main plugin file.
		 * @param bool   $positive    Compatible or not.
		 * @return bool
		 */
		public static function declare_compatibility( $feature, $plugin_file, $positive = true ) {
			self::$declared[ plugin_basename( $plugin_file ) ][ $feature ] = (bool) $positive;
			update_option( 'wc_standin_features', self::$declared, false );
			return true;
		}
	}
}

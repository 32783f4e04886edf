<?php
/**
 * Plugin Name: WooCommerce
 * Description: TEST-ONLY stand-in for WooCommerce, which cannot be installed offline. It
 *              declares what the bridge plugin looks for (the WooCommerce class, WC_VERSION,
 *              the manage_woocommerce capability, the before_woocommerce_init hook and
 *              FeaturesUtil), WooCommerce's REST keys table with its app authorisation
 *              (wc-auth) as WC_Auth makes them, and its webhooks table with wc_get_webhook()
 *              and WC_Webhook's delivery URL and delete(). Never shipped.
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
			wc_standin_create_tables();
		}
	);

	/**
	 * WooCommerce's REST keys and webhooks tables, as WC_Install::get_schema() creates them.
	 */
	function wc_standin_create_tables() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$collate = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE {$wpdb->prefix}woocommerce_api_keys (
  key_id BIGINT UNSIGNED NOT NULL auto_increment,
  user_id BIGINT UNSIGNED NOT NULL,
  description varchar(200) NULL,
  permissions varchar(10) NOT NULL,
  consumer_key char(64) NOT NULL,
  consumer_secret char(43) NOT NULL,
  nonces longtext NULL,
  truncated_key char(7) NOT NULL,
  last_access datetime NULL default null,
  PRIMARY KEY  (key_id),
  KEY consumer_key (consumer_key),
  KEY consumer_secret (consumer_secret)
) $collate;
CREATE TABLE {$wpdb->prefix}wc_webhooks (
  webhook_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  status varchar(200) NOT NULL,
  name text NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  delivery_url text NOT NULL,
  secret text NOT NULL,
  topic varchar(200) NOT NULL,
  date_created datetime NOT NULL default '0000-00-00 00:00:00',
  date_created_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  date_modified datetime NOT NULL default '0000-00-00 00:00:00',
  date_modified_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  api_version smallint(4) NOT NULL,
  failure_count smallint(10) NOT NULL default '0',
  pending_delivery tinyint(1) NOT NULL default '0',
  PRIMARY KEY  (webhook_id),
  KEY user_id (user_id)
) $collate;"
		);
	}

	/**
	 * A webhook, as WooCommerce's wc_get_webhook() finds it (null if there is none).
	 *
	 * @param int $id Webhook id.
	 * @return WC_Webhook|null
	 */
	function wc_get_webhook( $id ) {
		global $wpdb;
		$url = $wpdb->get_var( $wpdb->prepare( "SELECT delivery_url FROM {$wpdb->prefix}wc_webhooks WHERE webhook_id = %d", $id ) );
		return null === $url ? null : new WC_Webhook( (int) $id, (string) $url );
	}

	/**
	 * What the bridge uses of WooCommerce's WC_Webhook.
	 */
	final class WC_Webhook {
		/**
		 * Its id.
		 *
		 * @var int
		 */
		private $id;

		/**
		 * Where it delivers.
		 *
		 * @var string
		 */
		private $delivery_url;

		/**
		 * A webhook read from the table.
		 *
		 * @param int    $id           Webhook id.
		 * @param string $delivery_url Delivery URL.
		 */
		public function __construct( $id, $delivery_url ) {
			$this->id           = $id;
			$this->delivery_url = $delivery_url;
		}

		/**
		 * As WC_Webhook::get_delivery_url().
		 *
		 * @return string
		 */
		public function get_delivery_url() {
			return $this->delivery_url;
		}

		/**
		 * As WC_Webhook::delete(): its row goes (WC_Webhook_Data_Store::delete()).
		 *
		 * @param bool $force_delete Unused: webhooks have no trash.
		 * @return bool
		 */
		public function delete( $force_delete = false ) {
			global $wpdb;
			return (bool) $wpdb->delete( $wpdb->prefix . 'wc_webhooks', array( 'webhook_id' => $this->id ), array( '%d' ) );
		}
	}

	/**
	 * WooCommerce's app authorisation (WC_Auth) at /wc-auth/v1/<route>: `authorize` shows
	 * Approve to a logged-in shop manager; `access_granted` (nonce checked) creates the key
	 * as WC_Auth::create_keys() does, posts key_id, user_id, consumer_key, consumer_secret
	 * and key_permissions as JSON to callback_url (a 200 is required), and sends the admin
	 * to return_url with success=1. Two deviations, both for this harness: the path is read
	 * from the request (php -S has no rewrite rules), and an http callback_url is accepted
	 * and posted to with wp_remote_post (the test's server is plain http on loopback; the real
	 * WC_Auth refuses it: "The callback_url needs to be over SSL").
	 */
	add_action(
		'parse_request',
		static function () {
			$path = (string) wp_parse_url( isset( $_SERVER['REQUEST_URI'] ) ? wp_unslash( $_SERVER['REQUEST_URI'] ) : '', PHP_URL_PATH );
			if ( ! preg_match( '#^/wc-auth/v1/(authorize|access_granted)/?$#', $path, $route ) ) {
				return;
			}
			$data = array();
			foreach ( array( 'app_name', 'user_id', 'return_url', 'callback_url', 'scope' ) as $param ) {
				if ( empty( $_GET[ $param ] ) || ! is_string( $_GET[ $param ] ) ) {
					wp_die( esc_html( 'Error: Missing parameter ' . $param . '.' ), 'Access denied', array( 'response' => 401 ) );
				}
				$data[ $param ] = wp_unslash( $_GET[ $param ] );
			}
			if ( ! is_user_logged_in() || ! current_user_can( 'manage_woocommerce' ) ) {
				wp_die( 'Error: You do not have permission to access this page.', 'Access denied', array( 'response' => 401 ) );
			}
			if ( 'authorize' === $route[1] ) {
				$granted = wp_nonce_url( add_query_arg( array_map( 'rawurlencode', $data ), home_url( '/wc-auth/v1/access_granted' ) ), 'wc_auth_grant_access', 'wc_auth_nonce' );
				$denied  = add_query_arg( array( 'success' => 0, 'user_id' => rawurlencode( $data['user_id'] ) ), $data['return_url'] );
				printf(
					'<!DOCTYPE html><title>Authorize</title><h1>%1$s would like to connect to your store</h1><p><a class="button wc-auth-approve" href="%2$s">Approve</a> <a class="button wc-auth-deny" href="%3$s">Deny</a></p>',
					esc_html( $data['app_name'] ),
					esc_url( $granted ),
					esc_url( $denied )
				);
				exit;
			}
			if ( ! isset( $_GET['wc_auth_nonce'] ) || ! wp_verify_nonce( sanitize_key( wp_unslash( $_GET['wc_auth_nonce'] ) ), 'wc_auth_grant_access' ) ) {
				wp_die( 'Error: Invalid nonce verification.', 'Access denied', array( 'response' => 401 ) );
			}
			global $wpdb;
			$permissions     = in_array( $data['scope'], array( 'read', 'write', 'read_write' ), true ) ? $data['scope'] : 'read';
			$consumer_key    = 'ck_' . bin2hex( random_bytes( 20 ) ); // wc_rand_hash()
			$consumer_secret = 'cs_' . bin2hex( random_bytes( 20 ) );
			$wpdb->insert(
				$wpdb->prefix . 'woocommerce_api_keys',
				array(
					'user_id'         => get_current_user_id(),
					'description'     => sprintf( '%s - API (%s)', sanitize_text_field( $data['app_name'] ), gmdate( 'Y-m-d H:i:s' ) ),
					'permissions'     => $permissions,
					'consumer_key'    => hash_hmac( 'sha256', $consumer_key, 'wc-api' ), // wc_api_hash()
					'consumer_secret' => $consumer_secret,
					'truncated_key'   => substr( $consumer_key, -7 ),
				),
				array( '%d', '%s', '%s', '%s', '%s', '%s' )
			);
			$key_id   = (int) $wpdb->insert_id;
			$response = wp_remote_post(
				$data['callback_url'],
				array(
					'body'    => wp_json_encode(
						array(
							'key_id'          => $key_id,
							'user_id'         => $data['user_id'],
							'consumer_key'    => $consumer_key,
							'consumer_secret' => $consumer_secret,
							'key_permissions' => $permissions,
						)
					),
					'timeout' => 60,
					'headers' => array( 'Content-Type' => 'application/json;charset=UTF-8' ),
				)
			);
			if ( is_wp_error( $response ) || 200 !== (int) wp_remote_retrieve_response_code( $response ) ) {
				$wpdb->delete( $wpdb->prefix . 'woocommerce_api_keys', array( 'key_id' => $key_id ), array( '%d' ) );
				wp_die( 'Error: An error occurred in the request and at the time were unable to send the consumer data.', 'Access denied', array( 'response' => 401 ) );
			}
			wp_redirect( add_query_arg( array( 'success' => 1, 'user_id' => rawurlencode( $data['user_id'] ) ), $data['return_url'] ) ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect -- the app's own address, as WC_Auth does.
			exit;
		},
		0
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

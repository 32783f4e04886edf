<?php
/**
 * PHPUnit bootstrap: just enough of WordPress for the bridge's classes to run outside it
 * (options and transients in memory, the HTTP calls recorded and answered by the test).
 *
 * @package WooxeroBridge
 */

define( 'ABSPATH', __DIR__ . '/' );
define( 'WOOXERO_BRIDGE_VERSION', '1.1.0' );
define( 'WOOXERO_BRIDGE_SERVER_URL', 'https://sync.example.com' );
define( 'WOOXERO_BRIDGE_APP_NAME', 'Sync orders with Xero' );

$GLOBALS['wooxero_test_options']  = array();
$GLOBALS['wooxero_test_requests'] = array();
$GLOBALS['wooxero_test_answer']   = null;

/** WP_Error stand-in. */
class WP_Error {
	/** @var string */
	private $message;
	public function __construct( $code = '', $message = '' ) {
		$this->message = $message;
	}
	public function get_error_message() {
		return $this->message;
	}
}

/** WP_User stand-in. */
class WP_User {
	public $ID = 7;
	public $user_email = 'owner@shop.example';
	public $user_login = 'owner';
}

function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}
function __( $text, $domain = '' ) {
	return $text;
}
$GLOBALS['wooxero_test_home'] = 'https://shop.example';

function home_url( $path = '' ) {
	return $GLOBALS['wooxero_test_home'] . $path;
}
function admin_url( $path = '' ) {
	return $GLOBALS['wooxero_test_home'] . '/wp/wp-admin/' . $path;
}
function get_bloginfo( $what ) {
	return 'version' === $what ? '6.1.9' : 'Kiwi &amp; Co&#039;s Shop'; // as WordPress encodes it
}
function wp_specialchars_decode( $text, $quote_style = ENT_NOQUOTES ) {
	return htmlspecialchars_decode( $text, $quote_style );
}
function wp_json_encode( $data ) {
	return json_encode( $data );
}
function wp_parse_url( $url, $component = -1 ) {
	return parse_url( $url, $component );
}
function untrailingslashit( $value ) {
	return rtrim( $value, '/\\' );
}
function sanitize_text_field( $value ) {
	return trim( (string) $value );
}
function get_option( $name, $default = false ) {
	return array_key_exists( $name, $GLOBALS['wooxero_test_options'] ) ? $GLOBALS['wooxero_test_options'][ $name ] : $default;
}
function add_option( $name, $value, $deprecated = '', $autoload = null ) {
	$GLOBALS['wooxero_test_options'][ $name ] = $value;
	$GLOBALS['wooxero_test_options'][ "{$name}:autoload" ] = $autoload;
	return true;
}
function update_option( $name, $value, $autoload = null ) {
	return add_option( $name, $value, '', $autoload );
}
function set_transient( $name, $value, $seconds ) {
	$GLOBALS['wooxero_test_options'][ "transient:{$name}" ] = $value;
	return true;
}
function get_transient( $name ) {
	return get_option( "transient:{$name}" );
}
function delete_transient( $name ) {
	unset( $GLOBALS['wooxero_test_options'][ "transient:{$name}" ] );
	return true;
}
function wp_remote_post( $url, $args ) {
	return wp_remote_request( $url, $args + array( 'method' => 'POST' ) );
}
function wp_remote_request( $url, $args ) {
	$GLOBALS['wooxero_test_requests'][] = array( 'url' => $url, 'args' => $args, 'challenge' => get_transient( 'wooxero_bridge_challenge' ) );
	return $GLOBALS['wooxero_test_answer'];
}
function wp_remote_retrieve_response_code( $answer ) {
	return $answer['response']['code'];
}
function wp_remote_retrieve_body( $answer ) {
	return $answer['body'];
}

/**
 * $wpdb stand-in: `woocommerce_api_keys` as key_id => description, and the statements run.
 * Only the DELETE the plugin makes is understood; its LIKE pattern is matched as MySQL would.
 */
class Test_WPDB {
	public $prefix = 'wp_';
	public $keys = array();
	public $queries = array();
	public function esc_like( $text ) {
		return addcslashes( $text, '_%\\' );
	}
	public function prepare( $query, ...$args ) {
		$i = 0;
		return preg_replace_callback(
			'/%[ds]/',
			static function ( $m ) use ( &$i, $args ) {
				$value = $args[ $i++ ];
				return '%d' === $m[0] ? (string) (int) $value : "'" . addslashes( $value ) . "'";
			},
			$query
		);
	}
	public function query( $sql ) {
		$this->queries[] = $sql;
		if ( ! preg_match( "/^DELETE FROM wp_woocommerce_api_keys WHERE key_id = (\d+) AND description LIKE '(.*)'$/s", $sql, $m ) ) {
			return false;
		}
		$id = (int) $m[1];
		if ( isset( $this->keys[ $id ] ) && self::like( $this->keys[ $id ], stripslashes( $m[2] ) ) ) {
			unset( $this->keys[ $id ] );
			return 1;
		}
		return 0;
	}
	/** MySQL's LIKE: % any run, _ any character, \ escapes the next one. */
	private static function like( $text, $pattern ) {
		$regex = '';
		for ( $i = 0, $n = strlen( $pattern ); $i < $n; $i++ ) {
			$c = $pattern[ $i ];
			if ( '\\' === $c && $i + 1 < $n ) {
				$regex .= preg_quote( $pattern[ ++$i ], '/' );
			} elseif ( '%' === $c ) {
				$regex .= '.*';
			} elseif ( '_' === $c ) {
				$regex .= '.';
			} else {
				$regex .= preg_quote( $c, '/' );
			}
		}
		return 1 === preg_match( '/^' . $regex . '$/s', $text );
	}
}
$GLOBALS['wpdb'] = new Test_WPDB();

/** WooCommerce's webhooks: id => delivery URL. */
$GLOBALS['wooxero_test_webhooks'] = array();

/** WC_Webhook stand-in. */
class Test_Webhook {
	private $id;
	public function __construct( $id ) {
		$this->id = $id;
	}
	public function get_delivery_url() {
		return $GLOBALS['wooxero_test_webhooks'][ $this->id ];
	}
	public function delete( $force_delete = false ) {
		unset( $GLOBALS['wooxero_test_webhooks'][ $this->id ] );
		return true;
	}
}
function wc_get_webhook( $id ) {
	return isset( $GLOBALS['wooxero_test_webhooks'][ $id ] ) ? new Test_Webhook( $id ) : null;
}

require_once dirname( __DIR__ ) . '/includes/class-wooxero-bridge-signer.php';
require_once dirname( __DIR__ ) . '/includes/class-wooxero-bridge-keys.php';
require_once dirname( __DIR__ ) . '/includes/class-wooxero-bridge-webhooks.php';
require_once dirname( __DIR__ ) . '/includes/class-wooxero-bridge-client.php';

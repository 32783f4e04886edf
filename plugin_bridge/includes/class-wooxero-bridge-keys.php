<?php
/**
 * The WooCommerce REST keys this store granted to the server (WooCommerce's app
 * authorisation): the server names them in its signed answers (`api_keys`: the app name,
 * the current key id, the ids of keys a newer grant replaced), and the plugin deletes the
 * replaced ones at once and every one of them when it is deleted. Only rows with those ids
 * whose description is the one WooCommerce gives the app's keys are deleted: never a key
 * the store made for anything else. The app name is the one written in `config.php` when
 * the plugin was downloaded: an answer naming another app is not followed. A replaced key
 * is deleted once: the ids already revoked are remembered.
 *
 * @package WooxeroBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Revokes the server's WooCommerce keys in `{$wpdb->prefix}woocommerce_api_keys`.
 */
class Wooxero_Bridge_Keys {

	const OPTION      = 'wooxero_bridge_api_keys';
	const REVOKED     = 'wooxero_bridge_revoked_keys';
	const MAX_RETIRED = 50;

	/**
	 * Take what a signed answer says about the keys: remember it (for the uninstall, when
	 * the server may not answer) and revoke the keys it lists as replaced.
	 *
	 * @param array $answer A decoded answer of the server.
	 */
	public static function learn( $answer ) {
		$keys = self::parse( isset( $answer['api_keys'] ) ? $answer['api_keys'] : null );
		if ( null === $keys ) {
			return;
		}
		if ( get_option( self::OPTION ) !== $keys ) {
			update_option( self::OPTION, $keys, false );
		}
		$revoked = get_option( self::REVOKED );
		$revoked = is_array( $revoked ) ? $revoked : array();
		$pending = array_values( array_diff( $keys['retired'], $revoked ) );
		if ( array() === $pending ) {
			return;
		}
		self::revoke( $keys['app_name'], $pending );
		$revoked = array_slice( array_values( array_unique( array_merge( $revoked, $pending ) ) ), -self::MAX_RETIRED * 2 );
		update_option( self::REVOKED, $revoked, false );
	}

	/**
	 * Revoke every key of the server's this site knows of: the current one and the
	 * replaced ones, from `$answer` (the uninstall's) or, if it says nothing, from the last
	 * answer remembered.
	 *
	 * @param mixed $answer A decoded answer of the server, or a WP_Error.
	 * @return int How many keys were deleted.
	 */
	public static function revoke_all( $answer ) {
		$keys = is_array( $answer ) ? self::parse( isset( $answer['api_keys'] ) ? $answer['api_keys'] : null ) : null;
		if ( null === $keys ) {
			$keys = self::parse( get_option( self::OPTION ) );
		}
		if ( null === $keys ) {
			return 0;
		}
		$ids = $keys['retired'];
		if ( null !== $keys['current'] ) {
			$ids[] = $keys['current'];
		}
		return self::revoke( $keys['app_name'], $ids );
	}

	/**
	 * The `api_keys` of an answer, checked: an app name and whole positive ids.
	 *
	 * @param mixed $keys As the server sent it.
	 * @return array{app_name:string,current:int|null,retired:int[]}|null
	 */
	public static function parse( $keys ) {
		if ( ! is_array( $keys ) || ! isset( $keys['app_name'] ) || ! is_string( $keys['app_name'] ) || '' === trim( $keys['app_name'] ) ) {
			return null;
		}
		if ( defined( 'WOOXERO_BRIDGE_APP_NAME' ) && '' !== WOOXERO_BRIDGE_APP_NAME && trim( $keys['app_name'] ) !== WOOXERO_BRIDGE_APP_NAME ) {
			return null; // Not the app this plugin was downloaded for: never another app's keys.
		}
		$current = isset( $keys['current'] ) && is_int( $keys['current'] ) && $keys['current'] > 0 ? $keys['current'] : null;
		$retired = array();
		if ( isset( $keys['retired'] ) && is_array( $keys['retired'] ) ) {
			foreach ( array_slice( $keys['retired'], 0, self::MAX_RETIRED ) as $id ) {
				if ( is_int( $id ) && $id > 0 && $id !== $current ) {
					$retired[] = $id;
				}
			}
		}
		return array(
			'app_name' => trim( $keys['app_name'] ),
			'current'  => $current,
			'retired'  => array_values( array_unique( $retired ) ),
		);
	}

	/**
	 * Delete the keys with these ids that WooCommerce made for this app (its description is
	 * "<app name> - API (<date>)").
	 *
	 * @param string $app_name The app name the server asks keys with.
	 * @param int[]  $ids      Key ids.
	 * @return int How many were deleted.
	 */
	private static function revoke( $app_name, $ids ) {
		global $wpdb;
		$deleted = 0;
		$table   = $wpdb->prefix . 'woocommerce_api_keys';
		foreach ( $ids as $id ) {
			// WooCommerce has no API to delete a key and keeps none in a cache: its own
			// settings screen and wc-auth delete the row the same way.
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table name is the site's prefix and a constant.
			$rows = $wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE key_id = %d AND description LIKE %s", $id, $wpdb->esc_like( $app_name . ' - API (' ) . '%' ) );
			$deleted += is_int( $rows ) ? $rows : 0;
		}
		return $deleted;
	}
}

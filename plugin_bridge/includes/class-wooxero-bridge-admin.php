<?php
/**
 * The store admin's side: the consent notice (nothing is sent before "I Agree"), the menu
 * with its embedded server pages, and the calls made on deactivation.
 *
 * @package WooxeroBridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * WordPress admin screens and hooks of the bridge.
 */
class Wooxero_Bridge_Admin {

	const CAPABILITY      = 'manage_woocommerce';
	const NEEDS_CONSENT   = 'wooxero_bridge_needs_consent';
	const NOTICE          = 'wooxero_bridge_notice';
	const STATUS_CACHE    = 'wooxero_bridge_status';
	const STATUS_SECONDS  = 60;
	const STATUS_FAILED   = 30;
	const CONSENT_ACTION  = 'wooxero_bridge_consent';
	const ERASE_ACTION    = 'wooxero_bridge_erase_preference';
	const ERASE_OPTION    = 'wooxero_bridge_erase_on_uninstall';
	const MENU_SLUG       = 'wooxero-bridge';

	/**
	 * Hook everything that runs while WooCommerce is active.
	 */
	public static function register() {
		add_action( 'admin_notices', array( __CLASS__, 'consent_notice' ) );
		add_action( 'admin_notices', array( __CLASS__, 'result_notice' ) );
		add_action( 'admin_post_' . self::CONSENT_ACTION, array( __CLASS__, 'handle_consent' ) );
		add_action( 'admin_post_' . self::ERASE_ACTION, array( __CLASS__, 'handle_erase_preference' ) );
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
	}

	/**
	 * Activation sends nothing: it only asks for consent (again, after a deactivation).
	 * Each shop of a multisite network is a store of its own, so network activation is
	 * refused: the plugin is activated on each shop site.
	 *
	 * @param bool $network_wide Whether the plugin is being activated for the whole network.
	 */
	public static function on_activation( $network_wide = false ) {
		if ( is_multisite() && $network_wide ) {
			wp_die( esc_html__( 'Sync orders with Xero links one shop to one account: activate it on each shop site of the network, not network-wide.', 'wooxero-bridge' ) );
		}
		update_option( self::NEEDS_CONSENT, 1, false );
	}

	/**
	 * Tell the server the store is paused; never hold up the deactivation.
	 */
	public static function on_deactivation() {
		if ( Wooxero_Bridge_Client::is_linked() ) {
			Wooxero_Bridge_Client::call( 'POST', 'deactivate', array(), 3 );
		}
		delete_transient( self::STATUS_CACHE );
	}

	/**
	 * Without WooCommerce the plugin does nothing but say so.
	 */
	public static function woocommerce_missing_notice() {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		echo '<div class="notice notice-error"><p>' . esc_html__( 'Sync orders with Xero needs WooCommerce. Install and activate WooCommerce; until then this plugin does nothing.', 'wooxero-bridge' ) . '</p></div>';
	}

	/**
	 * The consent notice: exactly what will be sent, and where.
	 */
	public static function consent_notice() {
		$moved = Wooxero_Bridge_Client::site_moved();
		if ( ! current_user_can( self::CAPABILITY ) || ! ( get_option( self::NEEDS_CONSENT ) || $moved ) ) {
			return;
		}
		$user   = wp_get_current_user();
		$fields = Wooxero_Bridge_Client::consent_fields( $user );
		$labels = array(
			'admin_email'    => __( 'Your admin email address', 'wooxero-bridge' ),
			'admin_username' => __( 'Your admin username', 'wooxero-bridge' ),
			'user_id'        => __( 'Your WordPress user ID', 'wooxero-bridge' ),
			'site_url'       => __( 'This store’s URL', 'wooxero-bridge' ),
			'site_name'      => __( 'This store’s name', 'wooxero-bridge' ),
			'admin_url'      => __( 'This store’s WordPress admin address', 'wooxero-bridge' ),
		);
		?>
		<div class="notice notice-info wooxero-bridge-consent">
			<p><strong><?php esc_html_e( 'Sync orders with Xero needs your consent before it connects.', 'wooxero-bridge' ); ?></strong></p>
			<?php if ( $moved ) : ?>
				<p><?php esc_html_e( 'This site’s address is not the one it was set up with (a staging copy, a clone or a move), so it does not act for that store. Agree to set up this address as a store of its own.', 'wooxero-bridge' ); ?></p>
			<?php endif; ?>
			<p>
				<?php
				/* translators: %s: the server's address. */
				printf( esc_html__( 'When you click the button, these details are sent to %s to set up your account:', 'wooxero-bridge' ), '<code>' . esc_html( WOOXERO_BRIDGE_SERVER_URL ) . '</code>' );
				?>
			</p>
			<?php if ( 0 === strpos( WOOXERO_BRIDGE_SERVER_URL, 'http://' ) ) : ?>
				<p><strong><?php esc_html_e( 'This server’s address is not https: what is sent to it travels unencrypted. Use it only on a private network or for testing.', 'wooxero-bridge' ); ?></strong></p>
			<?php endif; ?>
			<ul>
				<?php foreach ( $labels as $key => $label ) : ?>
					<li><?php echo esc_html( $label ); ?>: <code><?php echo esc_html( (string) $fields[ $key ] ); ?></code></li>
				<?php endforeach; ?>
			</ul>
			<p><?php esc_html_e( 'The WordPress, WooCommerce and plugin versions are sent with them. Nothing is sent before you agree.', 'wooxero-bridge' ); ?></p>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::CONSENT_ACTION ); ?>">
				<?php wp_nonce_field( self::CONSENT_ACTION ); ?>
				<button type="submit" class="button button-primary"><?php esc_html_e( 'I Agree — Set Up My Account', 'wooxero-bridge' ); ?></button>
			</form>
		</div>
		<?php
	}

	/**
	 * The click on "I Agree": nonce and capability checked, then the activation call.
	 */
	public static function handle_consent() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to set up this store.', 'wooxero-bridge' ), 403 );
		}
		check_admin_referer( self::CONSENT_ACTION );
		$result = Wooxero_Bridge_Client::activate( wp_get_current_user() );
		if ( is_wp_error( $result ) ) {
			set_transient( self::notice_key(), array( 'error', $result->get_error_message() ), 60 );
		} else {
			delete_option( self::NEEDS_CONSENT );
			delete_transient( self::STATUS_CACHE );
			set_transient( self::notice_key(), array( 'success', __( 'Your store is set up. Connect Xero from “Sync orders with Xero”.', 'wooxero-bridge' ) ), 60 );
		}
		wp_safe_redirect( admin_url( 'admin.php?page=' . self::MENU_SLUG ) );
		exit;
	}

	/**
	 * The choice on the main page: erase the store's data on the server when the plugin is
	 * deleted, or keep it for the provider's retention period.
	 */
	public static function handle_erase_preference() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to change this.', 'wooxero-bridge' ), 403 );
		}
		check_admin_referer( self::ERASE_ACTION );
		$erase = isset( $_POST['erase'] ) && 'yes' === sanitize_key( wp_unslash( $_POST['erase'] ) );
		update_option( self::ERASE_OPTION, $erase ? 'yes' : 'no', false );
		set_transient( self::notice_key(), array( 'success', __( 'Saved.', 'wooxero-bridge' ) ), 60 );
		wp_safe_redirect( admin_url( 'admin.php?page=' . self::MENU_SLUG ) );
		exit;
	}

	/**
	 * The current admin's one-time notice (one admin's outcome is not shown to another).
	 *
	 * @return string
	 */
	private static function notice_key() {
		return self::NOTICE . '_' . get_current_user_id();
	}

	/**
	 * The outcome of the last consent, once.
	 */
	public static function result_notice() {
		$notice = get_transient( self::notice_key() );
		if ( ! is_array( $notice ) || ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		delete_transient( self::notice_key() );
		$class = 'error' === $notice[0] ? 'notice-error' : 'notice-success';
		printf( '<div class="notice %1$s"><p>%2$s</p></div>', esc_attr( $class ), esc_html( (string) $notice[1] ) );
	}

	/**
	 * "Sync orders with Xero" and its pages.
	 */
	public static function menu() {
		add_menu_page(
			__( 'Sync orders with Xero', 'wooxero-bridge' ),
			__( 'Sync orders with Xero', 'wooxero-bridge' ),
			self::CAPABILITY,
			self::MENU_SLUG,
			array( __CLASS__, 'main_page' ),
			'dashicons-update'
		);
		$pages = array(
			''             => __( 'Main', 'wooxero-bridge' ),
			'settings'     => __( 'Settings', 'wooxero-bridge' ),
			'xero'         => __( 'Xero Connection', 'wooxero-bridge' ),
			'subscription' => __( 'Subscription', 'wooxero-bridge' ),
		);
		foreach ( $pages as $target => $title ) {
			add_submenu_page(
				self::MENU_SLUG,
				$title,
				$title,
				self::CAPABILITY,
				'' === $target ? self::MENU_SLUG : self::MENU_SLUG . '-' . $target,
				'' === $target ? array( __CLASS__, 'main_page' ) : static function () use ( $target, $title ) {
					self::embedded_page( $target, $title );
				}
			);
		}
	}

	/**
	 * The main page: the store's status (briefly cached) and the server's overview.
	 */
	public static function main_page() {
		$status = Wooxero_Bridge_Client::is_linked() ? self::status() : null;
		echo '<div class="wrap"><h1>' . esc_html__( 'Sync orders with Xero', 'wooxero-bridge' ) . '</h1>';
		if ( is_array( $status ) && isset( $status['error'] ) ) {
			echo '<div class="notice notice-error"><p>' . esc_html( (string) $status['error'] ) . '</p></div>';
		} elseif ( is_array( $status ) ) {
			self::status_table( $status );
		} else {
			echo '<p>' . esc_html__( 'Agree to the notice above to set up your account.', 'wooxero-bridge' ) . '</p>';
		}
		if ( Wooxero_Bridge_Client::is_linked() ) {
			self::erase_preference_form();
			self::iframe( 'main' );
		}
		echo '</div>';
	}

	/**
	 * The server's status, cached a minute; a failure is cached briefly too, so that a
	 * server that is down does not slow every page load.
	 *
	 * @return array
	 */
	private static function status() {
		$status = get_transient( self::STATUS_CACHE );
		if ( is_array( $status ) ) {
			return $status;
		}
		$status = Wooxero_Bridge_Client::call( 'GET', 'status' );
		if ( is_wp_error( $status ) ) {
			$status = array( 'error' => $status->get_error_message() );
			set_transient( self::STATUS_CACHE, $status, self::STATUS_FAILED );
		} else {
			set_transient( self::STATUS_CACHE, $status, self::STATUS_SECONDS );
		}
		return $status;
	}

	/**
	 * Keep or erase the store's data on the server when the plugin is deleted.
	 */
	private static function erase_preference_form() {
		$erase = 'yes' === get_option( self::ERASE_OPTION, 'no' );
		?>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="wooxero-bridge-erase">
			<input type="hidden" name="action" value="<?php echo esc_attr( self::ERASE_ACTION ); ?>">
			<?php wp_nonce_field( self::ERASE_ACTION ); ?>
			<p>
				<label>
					<input type="checkbox" name="erase" value="yes" <?php checked( $erase ); ?>>
					<?php esc_html_e( 'When this plugin is deleted, erase this store’s data from the server at once (otherwise it is kept for the provider’s retention period, in case you come back).', 'wooxero-bridge' ); ?>
				</label>
				<button type="submit" class="button"><?php esc_html_e( 'Save', 'wooxero-bridge' ); ?></button>
			</p>
		</form>
		<?php
	}

	/**
	 * The status the server gave.
	 *
	 * @param array $status The server's answer.
	 */
	private static function status_table( $status ) {
		$xero = isset( $status['xero'] ) && is_array( $status['xero'] ) ? $status['xero'] : array();
		$sub  = isset( $status['subscription'] ) && is_array( $status['subscription'] ) ? $status['subscription'] : array();
		$woo  = isset( $status['woocommerce'] ) && is_array( $status['woocommerce'] ) ? $status['woocommerce'] : array();
		$rows = array(
			__( 'Xero', 'wooxero-bridge' )          => ! empty( $xero['connected'] ) ? (string) $xero['organisation'] : self::label( isset( $xero['status'] ) ? $xero['status'] : 'not connected' ),
			__( 'WooCommerce', 'wooxero-bridge' )   => self::label( isset( $woo['status'] ) ? $woo['status'] : '' ),
			__( 'Webhooks', 'wooxero-bridge' )      => self::webhooks( isset( $woo['webhooks'] ) && is_array( $woo['webhooks'] ) ? $woo['webhooks'] : array() ),
			__( 'Subscription', 'wooxero-bridge' )  => self::label( isset( $sub['status'] ) ? $sub['status'] : '' ),
			__( 'Trial days left', 'wooxero-bridge' ) => isset( $sub['trial_days_left'] ) ? (string) $sub['trial_days_left'] : '—',
			__( 'Last sync', 'wooxero-bridge' )     => ! empty( $status['last_sync'] ) ? (string) $status['last_sync'] : __( 'not yet', 'wooxero-bridge' ),
			__( 'Open errors', 'wooxero-bridge' )   => isset( $status['open_errors'] ) ? (string) $status['open_errors'] : '0',
		);
		echo '<table class="widefat striped wooxero-bridge-status"><tbody>';
		foreach ( $rows as $label => $value ) {
			echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td>' . esc_html( $value ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * A state the server reports, in the admin's language (unknown ones as they came).
	 *
	 * @param mixed $value The server's value.
	 * @return string
	 */
	private static function label( $value ) {
		$labels = array(
			'connected'             => __( 'connected', 'wooxero-bridge' ),
			'not connected'         => __( 'not connected', 'wooxero-bridge' ),
			'choosing_organisation' => __( 'an organisation is to be chosen', 'wooxero-bridge' ),
			'needs_reauthorisation' => __( 'needs to be connected again', 'wooxero-bridge' ),
			'error'                 => __( 'error', 'wooxero-bridge' ),
			'disconnected'          => __( 'disconnected', 'wooxero-bridge' ),
			'trialing'              => __( 'trial', 'wooxero-bridge' ),
			'active'                => __( 'active', 'wooxero-bridge' ),
			'past_due'              => __( 'payment overdue', 'wooxero-bridge' ),
			'cancelled'             => __( 'cancelled', 'wooxero-bridge' ),
			'expired'               => __( 'expired', 'wooxero-bridge' ),
			'none'                  => __( 'none', 'wooxero-bridge' ),
		);
		$value = is_scalar( $value ) ? (string) $value : '';
		return isset( $labels[ $value ] ) ? $labels[ $value ] : $value;
	}

	/**
	 * The webhooks' health: how many are in each state.
	 *
	 * @param array $webhooks Count by state.
	 * @return string
	 */
	private static function webhooks( $webhooks ) {
		if ( empty( $webhooks ) ) {
			return __( 'none yet', 'wooxero-bridge' );
		}
		$parts = array();
		foreach ( $webhooks as $state => $count ) {
			/* translators: 1: a number of webhooks, 2: their state (active, paused, disabled). */
			$parts[] = sprintf( __( '%1$d %2$s', 'wooxero-bridge' ), (int) $count, (string) $state );
		}
		return implode( ', ', $parts );
	}

	/**
	 * One of the server's dashboard pages inside wp-admin.
	 *
	 * @param string $target main, settings, xero or subscription.
	 * @param string $title  The page title.
	 */
	public static function embedded_page( $target, $title ) {
		echo '<div class="wrap"><h1>' . esc_html( $title ) . '</h1>';
		self::iframe( $target );
		echo '</div>';
	}

	/**
	 * An iframe on a one-time embed URL obtained with a signed call.
	 *
	 * @param string $target The dashboard page.
	 */
	private static function iframe( $target ) {
		$embed = Wooxero_Bridge_Client::call( 'POST', 'embed', array( 'target' => $target ) );
		if ( is_wp_error( $embed ) || empty( $embed['url'] ) ) {
			$message = is_wp_error( $embed ) ? $embed->get_error_message() : __( 'The server gave no page.', 'wooxero-bridge' );
			echo '<div class="notice notice-error"><p>' . esc_html( $message ) . '</p></div>';
			return;
		}
		printf(
			'<iframe class="wooxero-bridge-frame" title="%1$s" src="%2$s" style="display:block;width:100%%;min-height:720px;margin-top:12px;border:0;background:#fff"></iframe>',
			esc_attr__( 'Sync orders with Xero', 'wooxero-bridge' ),
			esc_url( (string) $embed['url'] )
		);
	}
}

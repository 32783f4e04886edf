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
	const CONSENT_ACTION  = 'wooxero_bridge_consent';
	const ERASE_ACTION    = 'wooxero_bridge_erase_preference';
	const ERASE_OPTION    = 'wooxero_bridge_erase_on_uninstall';
	const MENU_SLUG       = 'wooxero-bridge';
	const FRAME_SCRIPT    = 'wooxero-bridge-frame';
	const FRAME_HEIGHT    = 600;  // until the page says how tall it is
	const FRAME_MIN       = 200;
	const FRAME_MAX       = 20000;

	/**
	 * Hook everything that runs while WooCommerce is active.
	 */
	public static function register() {
		add_action( 'admin_notices', array( __CLASS__, 'consent_notice' ) );
		add_action( 'admin_notices', array( __CLASS__, 'result_notice' ) );
		add_action( 'admin_post_' . self::CONSENT_ACTION, array( __CLASS__, 'handle_consent' ) );
		add_action( 'admin_post_' . self::ERASE_ACTION, array( __CLASS__, 'handle_erase_preference' ) );
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'privacy_policy' ) );
	}

	/**
	 * Suggested text for the site's privacy policy (Settings → Privacy): what is sent
	 * where, as the readme's "External services" says.
	 */
	public static function privacy_policy() {
		if ( ! function_exists( 'wp_add_privacy_policy_content' ) ) {
			return;
		}
		$server  = '' !== WOOXERO_BRIDGE_SERVER_URL ? WOOXERO_BRIDGE_SERVER_URL : __( 'the server set up by your provider', 'sync-orders-with-xero' );
		$content = '<p>' . sprintf(
			/* translators: %s: the server's address. */
			esc_html__( 'This store uses Sync orders with Xero, which connects it to an integration server at %s, operated by the provider of the plugin, to turn orders into Xero invoices or quotes.', 'sync-orders-with-xero' ),
			'<code>' . esc_html( $server ) . '</code>'
		) . '</p>'
			. '<p>' . esc_html__( 'When the store admin agrees to set up the connection, the admin’s email address, username and WordPress user ID, the store’s address, name and WordPress admin address, and the WordPress, WooCommerce and plugin versions are sent to that server. The server then calls the site back once to confirm the request came from it.', 'sync-orders-with-xero' ) . '</p>'
			. '<p>' . esc_html__( 'With the WooCommerce access the store admin grants it, the server reads the store’s orders, customers (names, email and postal addresses, phone numbers) and products, and writes them to the store’s Xero organisation as contacts, invoices, quotes, payments and credit notes. It adds notes to orders.', 'sync-orders-with-xero' ) . '</p>'
			. '<p>' . esc_html__( 'Opening the plugin’s pages, deactivating and deleting the plugin send signed requests that carry no personal data. When the plugin is deleted, the server keeps the store’s data for the provider’s retention period, or erases it at once if the store admin chose so.', 'sync-orders-with-xero' ) . '</p>';
		if ( defined( 'WOOXERO_BRIDGE_PRIVACY_URL' ) && '' !== WOOXERO_BRIDGE_PRIVACY_URL ) {
			$content .= '<p>' . sprintf(
				/* translators: %s: the link to the provider's privacy policy. */
				esc_html__( 'The provider’s privacy policy: %s', 'sync-orders-with-xero' ),
				'<a href="' . esc_url( WOOXERO_BRIDGE_PRIVACY_URL ) . '">' . esc_html( WOOXERO_BRIDGE_PRIVACY_URL ) . '</a>'
			) . '</p>';
		}
		wp_add_privacy_policy_content( __( 'Sync orders with Xero', 'sync-orders-with-xero' ), wp_kses_post( $content ) );
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
			wp_die( esc_html__( 'Sync orders with Xero links one shop to one account: activate it on each shop site of the network, not network-wide.', 'sync-orders-with-xero' ) );
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
	}

	/**
	 * Without WooCommerce the plugin does nothing but say so.
	 */
	public static function woocommerce_missing_notice() {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		echo '<div class="notice notice-error"><p>' . esc_html__( 'Sync orders with Xero needs WooCommerce. Install and activate WooCommerce; until then this plugin does nothing.', 'sync-orders-with-xero' ) . '</p></div>';
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
			'admin_email'    => __( 'Your admin email address', 'sync-orders-with-xero' ),
			'admin_username' => __( 'Your admin username', 'sync-orders-with-xero' ),
			'user_id'        => __( 'Your WordPress user ID', 'sync-orders-with-xero' ),
			'site_url'       => __( 'This store’s URL', 'sync-orders-with-xero' ),
			'site_name'      => __( 'This store’s name', 'sync-orders-with-xero' ),
			'admin_url'      => __( 'This store’s WordPress admin address', 'sync-orders-with-xero' ),
		);
		?>
		<div class="notice notice-info wooxero-bridge-consent">
			<p><strong><?php esc_html_e( 'Sync orders with Xero needs your consent before it connects.', 'sync-orders-with-xero' ); ?></strong></p>
			<?php if ( $moved ) : ?>
				<p><?php esc_html_e( 'This site’s address is not the one it was set up with (a staging copy, a clone or a move), so it does not act for that store. Agree to set up this address as a store of its own.', 'sync-orders-with-xero' ); ?></p>
			<?php endif; ?>
			<p>
				<?php
				/* translators: %s: the server's address. */
				printf( esc_html__( 'When you click the button, these details are sent to %s to set up your account:', 'sync-orders-with-xero' ), '<code>' . esc_html( WOOXERO_BRIDGE_SERVER_URL ) . '</code>' );
				?>
			</p>
			<?php if ( 0 === strpos( WOOXERO_BRIDGE_SERVER_URL, 'http://' ) ) : ?>
				<p><strong><?php esc_html_e( 'This server’s address is not https: what is sent to it travels unencrypted. Use it only on a private network or for testing.', 'sync-orders-with-xero' ); ?></strong></p>
			<?php endif; ?>
			<ul>
				<?php foreach ( $labels as $key => $label ) : ?>
					<li><?php echo esc_html( $label ); ?>: <code><?php echo esc_html( (string) $fields[ $key ] ); ?></code></li>
				<?php endforeach; ?>
			</ul>
			<p><?php esc_html_e( 'The WordPress, WooCommerce and plugin versions are sent with them. Nothing is sent before you agree.', 'sync-orders-with-xero' ); ?></p>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::CONSENT_ACTION ); ?>">
				<?php wp_nonce_field( self::CONSENT_ACTION ); ?>
				<button type="submit" class="button button-primary"><?php esc_html_e( 'I Agree — Set Up My Account', 'sync-orders-with-xero' ); ?></button>
			</form>
		</div>
		<?php
	}

	/**
	 * The click on "I Agree": nonce and capability checked, then the activation call.
	 */
	public static function handle_consent() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to set up this store.', 'sync-orders-with-xero' ), 403 );
		}
		check_admin_referer( self::CONSENT_ACTION );
		$result = Wooxero_Bridge_Client::activate( wp_get_current_user() );
		if ( is_wp_error( $result ) ) {
			set_transient( self::notice_key(), array( 'error', $result->get_error_message() ), 60 );
		} else {
			delete_option( self::NEEDS_CONSENT );
			set_transient( self::notice_key(), array( 'success', __( 'Your store is set up. Connect Xero from “Sync orders with Xero”.', 'sync-orders-with-xero' ) ), 60 );
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
			wp_die( esc_html__( 'You are not allowed to change this.', 'sync-orders-with-xero' ), 403 );
		}
		check_admin_referer( self::ERASE_ACTION );
		$erase = isset( $_POST['erase'] ) && 'yes' === sanitize_key( wp_unslash( $_POST['erase'] ) );
		update_option( self::ERASE_OPTION, $erase ? 'yes' : 'no', false );
		set_transient( self::notice_key(), array( 'success', __( 'Saved.', 'sync-orders-with-xero' ) ), 60 );
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
			__( 'Sync orders with Xero', 'sync-orders-with-xero' ),
			__( 'Sync orders with Xero', 'sync-orders-with-xero' ),
			self::CAPABILITY,
			self::MENU_SLUG,
			array( __CLASS__, 'main_page' ),
			'dashicons-update'
		);
		$pages = array(
			''             => __( 'Overview', 'sync-orders-with-xero' ),
			'activity'     => __( 'Activity', 'sync-orders-with-xero' ),
			'sync'         => __( 'Sync & backfill', 'sync-orders-with-xero' ),
			'settings'     => __( 'Settings', 'sync-orders-with-xero' ),
			'xero'         => __( 'Xero Connection', 'sync-orders-with-xero' ),
			'subscription' => __( 'Subscription', 'sync-orders-with-xero' ),
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
	 * The main page: the server's overview (which shows the connections' health and the
	 * store's status), and the choice of what deleting the plugin does.
	 */
	public static function main_page() {
		echo '<div class="wrap"><h1>' . esc_html__( 'Sync orders with Xero', 'sync-orders-with-xero' ) . '</h1>';
		if ( Wooxero_Bridge_Client::is_linked() ) {
			self::iframe( 'main' );
			self::erase_preference_form();
		} else {
			echo '<p>' . esc_html__( 'Agree to the notice above to set up your account.', 'sync-orders-with-xero' ) . '</p>';
		}
		echo '</div>';
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
					<?php esc_html_e( 'When this plugin is deleted, erase this store’s data from the server at once (otherwise it is kept for the provider’s retention period, in case you come back).', 'sync-orders-with-xero' ); ?>
				</label>
				<button type="submit" class="button"><?php esc_html_e( 'Save', 'sync-orders-with-xero' ); ?></button>
			</p>
		</form>
		<?php
	}

	/**
	 * One of the server's dashboard pages inside wp-admin.
	 *
	 * @param string $target A dashboard page: activity, sync, settings, xero or subscription.
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
			$message = is_wp_error( $embed ) ? $embed->get_error_message() : __( 'The server gave no page.', 'sync-orders-with-xero' );
			echo '<div class="notice notice-error"><p>' . esc_html( $message ) . '</p></div>';
			return;
		}
		self::enqueue_frame_script( (string) $embed['url'] );
		printf(
			'<iframe class="wooxero-bridge-frame" title="%1$s" src="%2$s" style="display:block;width:100%%;height:%3$dpx;margin-top:12px;border:0;background:#fff"></iframe>',
			esc_attr__( 'Sync orders with Xero', 'sync-orders-with-xero' ),
			esc_url( (string) $embed['url'] ),
			(int) self::FRAME_HEIGHT
		);
	}

	/**
	 * The frame's height follows its page: the server's pages post
	 * `{"wooxero": "height", "height": <pixels>}` to the parent whenever their height changes.
	 * Only messages from the server's origin, sent by the frame's own window, are taken, and
	 * the height is kept within bounds.
	 *
	 * @param string $url The embedded page's address.
	 */
	private static function enqueue_frame_script( $url ) {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
			return;
		}
		$origin = strtolower( $parts['scheme'] . '://' . $parts['host'] ) . ( isset( $parts['port'] ) ? ':' . (int) $parts['port'] : '' );
		wp_register_script( self::FRAME_SCRIPT, false, array(), WOOXERO_BRIDGE_VERSION, true );
		wp_enqueue_script( self::FRAME_SCRIPT );
		$settings = array(
			'origin' => $origin,
			'min'    => self::FRAME_MIN,
			'max'    => self::FRAME_MAX,
		);
		$script   = '(function (settings) {'
			. 'window.addEventListener("message", function (event) {'
			. 'var data = event.data;'
			. 'if (event.origin !== settings.origin || !data || data.wooxero !== "height") { return; }'
			. 'var height = Number(data.height);'
			. 'if (!isFinite(height)) { return; }'
			. 'var frames = document.querySelectorAll("iframe.wooxero-bridge-frame");'
			. 'for (var i = 0; i < frames.length; i++) {'
			. 'if (frames[i].contentWindow === event.source) {'
			. 'frames[i].style.height = Math.round(Math.min(settings.max, Math.max(settings.min, height))) + "px";'
			. '}'
			. '}'
			. '});'
			. '}(' . wp_json_encode( $settings, JSON_HEX_TAG | JSON_HEX_AMP ) . '));';
		wp_add_inline_script( self::FRAME_SCRIPT, $script );
	}
}

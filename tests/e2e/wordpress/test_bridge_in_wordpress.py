"""The bridge plugin in a real WordPress, driven by headless Chromium from the operator's
download to the uninstall: nothing is sent before consent; "I Agree" links the store after
the server's challenge; the embedded pages open inside wp-admin, sized by what their page
posts; granting WooCommerce access again leaves one key of the server's; deactivation
pauses, activation again resumes, deletion uninstalls and deletes the server's key.
Screenshots of every step are saved in artifacts/wordpress-e2e/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.extensions import current_config, db
from server.models import Store, StoreState, WooConnection, WooWebhook
from tests.e2e.wordpress.conftest import PLUGIN_SLUG as SLUG
from tests.e2e.wordpress.conftest import Screenshot, Wooxero, WordPress
from tests.support.web import PASSWORD, make_operator

pytestmark = pytest.mark.slow

ADMIN = {"user": "owner", "email": "owner@shop.example", "password": "Kiwi-e2e-Pass-2026!"}
AGREE = "I Agree — Set Up My Account"


def _stores(wooxero: Wooxero) -> list[tuple[str, str, StoreState, str]]:
    """Every store on the server: (public id, url, state, admin email)."""
    with wooxero.app.app_context():
        rows = db.session.scalars(sa.select(Store).order_by(Store.id)).all()
        return [(s.public_id, s.url, s.state, s.admin_email) for s in rows]


def _transitions(wooxero: Wooxero) -> list[tuple[str | None, str]]:
    with wooxero.app.app_context():
        (store,) = db.session.scalars(sa.select(Store)).all()
        return [
            (t.from_state.value if t.from_state else None, t.to_state.value)
            for t in sorted(store.transitions, key=lambda t: t.id)
        ]


def _download_plugin(page: Page, wooxero: Wooxero, folder: Path, shoot: Screenshot) -> Path:
    with wooxero.app.app_context():
        make_operator()
    page.goto(f"{wooxero.url}/login")
    page.fill("input[name=email]", "ops@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.goto(f"{wooxero.url}/admin/plugin/")
    shoot(page, "operator-downloads-the-plugin")
    with page.expect_download() as download:
        page.click(f"text=Download {SLUG}.zip")
    path = folder / f"{SLUG}.zip"
    download.value.save_as(path)
    return path


def _install_wordpress(page: Page, site: WordPress, shoot: Screenshot) -> None:
    page.goto(f"{site.url}/wp-admin/install.php")
    page.fill("#weblog_title", "Kiwi Shop")
    page.fill("#user_login", ADMIN["user"])
    page.fill("#pass1", ADMIN["password"])
    page.fill("#admin_email", ADMIN["email"])
    page.click("#submit")
    expect(page.locator("h1")).to_have_text("Success!")
    shoot(page, "wordpress-installed")
    page.goto(f"{site.url}/wp-login.php")
    # wp-login.php moves the focus to the username 200 ms after loading (wp_attempt_focus):
    # typing before that, on a loaded machine, may land in the wrong field.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'user_login'")
    page.fill("#user_login", ADMIN["user"])
    page.fill("#user_pass", ADMIN["password"])
    page.click("#wp-submit")
    expect(page.locator("#wpadminbar")).to_be_visible()


def _row(page: Page, slug: str, state: str = ""):
    return page.locator(f'tr{state}[data-plugin="{slug}/{slug}.php"]')


def _plugin_row(page: Page, site: WordPress, slug: str):
    page.goto(f"{site.url}/wp-admin/plugins.php")
    return _row(page, slug)


def _activate(page: Page, site: WordPress, slug: str) -> None:
    _plugin_row(page, site, slug).locator(".activate a").click()
    expect(_row(page, slug, ".active")).to_have_count(1)


def _agree(page: Page) -> None:
    page.get_by_role("button", name=AGREE).click()
    expect(page.locator(".notice-success")).to_contain_text("Your store is set up")


def _embedded(page: Page):
    frame = page.frame_locator("iframe.wooxero-bridge-frame")
    expect(frame.locator("h1")).to_be_visible()
    return frame


def _grant_woocommerce(page: Page, wooxero: Wooxero) -> int:
    """WooCommerce's app authorisation, approved in the store (the stand-in's wc-auth, which
    makes the key as WooCommerce does); the key id the server now holds."""
    with wooxero.app.app_context():
        store = db.session.scalars(sa.select(Store)).one()
        authorize = woo_connect.begin(store, "store admin")
    page.goto(authorize)
    page.get_by_role("link", name="Approve").click()
    expect(page.locator("body")).to_contain_text("WooCommerce is connected")
    with wooxero.app.app_context():
        key_id = db.session.scalars(sa.select(WooConnection.key_id)).one()
    assert key_id is not None
    return key_id


def _frame_sizes_to_its_page(page: Page, wooxero: Wooxero) -> None:
    """The server's pages post their height; the plugin takes it from that frame only."""
    frame = page.locator("iframe.wooxero-bridge-frame")
    inner = frame.element_handle().content_frame()
    assert inner is not None and inner.url.startswith(wooxero.url)
    # The page's own script reports its height: the frame fits it (it started at 600 px).
    content = inner.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    assert content != 600
    expect(frame).to_have_css("height", f"{content}px")
    for posted, shown in ((1234, "1234px"), (10**9, "20000px"), (10, "200px"), (880, "880px")):
        inner.evaluate(
            "height => window.parent.postMessage({wooxero: 'height', height: height}, '*')", posted
        )
        expect(frame).to_have_css("height", shown)
    # From another origin and window (wp-admin itself) the same message changes nothing: a
    # listener added after the plugin's sees it, so the plugin's has had it too.
    page.evaluate(
        "() => { window.seen = []; window.addEventListener('message', e => window.seen.push(e.data)); }"
    )
    page.evaluate("() => window.postMessage({wooxero: 'height', height: 500}, '*')")
    inner.evaluate("() => window.parent.postMessage({wooxero: 'other'}, '*')")
    page.wait_for_function("() => window.seen.length === 2")
    expect(frame).to_have_css("height", "880px")


def test_the_bridge_plugin_in_a_real_wordpress(
    browser_page: Page,
    wordpress: WordPress,
    wooxero: Wooxero,
    screenshots: Screenshot,
    tmp_path: Path,
) -> None:
    page, shoot, site = browser_page, screenshots, wordpress
    plugin_zip = _download_plugin(page, wooxero, tmp_path, shoot)
    _install_wordpress(page, site, shoot)

    # The operator's zip installs through WordPress's own uploader.
    page.goto(f"{site.url}/wp-admin/plugin-install.php?tab=upload")
    page.set_input_files("#pluginzip", str(plugin_zip))
    page.click("#install-plugin-submit")
    expect(page.locator("body")).to_contain_text("Plugin installed successfully.")
    shoot(page, "plugin-uploaded")
    assert (site.plugins / SLUG / "config.php").read_text().count(wooxero.url) == 1

    # Without WooCommerce the plugin only says so.
    _activate(page, site, SLUG)
    expect(page.locator(".notice-error")).to_contain_text("needs WooCommerce")
    expect(page.get_by_role("button", name=AGREE)).to_have_count(0)
    shoot(page, "woocommerce-missing")
    _plugin_row(page, site, SLUG).locator(".deactivate a").click()
    _activate(page, site, "woocommerce")
    assert _stores(wooxero) == []

    # Activation sends nothing: it shows exactly what will be sent, and where.
    _activate(page, site, SLUG)
    notice = page.locator(".wooxero-bridge-consent")
    for shown in (ADMIN["email"], ADMIN["user"], f"{site.url}/", wooxero.url):
        expect(notice).to_contain_text(shown)
    expect(notice.locator("li").nth(2)).to_contain_text(": 1")  # the WordPress user ID
    expect(notice).to_contain_text(f"{site.url}/wp-admin/")
    expect(notice).to_contain_text("is not https")  # this test's server is plain http
    shoot(page, "consent-notice")
    assert _stores(wooxero) == [], "nothing may be sent before the store admin agrees"

    # "I Agree": the server challenges the site, then links the store.
    _agree(page)
    ((public_id, url, state, email),) = _stores(wooxero)
    assert (url.rstrip("/"), state, email) == (site.url, StoreState.ACTIVE, ADMIN["email"])
    assert site.option("wooxero_bridge_store_id") == public_id
    assert site.autoload("wooxero_bridge_signing_secret") == "no"
    assert site.option("wooxero_bridge_challenge") == ""  # spent
    # The main page is the server's overview alone (it shows the store's status), without a
    # second visible heading or a tab row repeating WordPress's own submenu.
    overview = _embedded(page)
    expect(overview.locator("h1")).to_have_text("Overview")
    assert overview.locator("h1").bounding_box()["height"] <= 1  # kept for screen readers
    expect(overview.locator("nav.page-nav")).to_be_hidden()
    expect(overview.locator("#step-woocommerce")).to_contain_text("Give wooxero access")
    expect(page.locator(".wrap table")).to_have_count(0)
    shoot(page, "store-set-up")
    _frame_sizes_to_its_page(page, wooxero)
    with wooxero.app.app_context():
        assert db.session.scalars(sa.select(Store.admin_url)).one() == f"{site.url}/wp-admin/"

    # The admin chooses whether deleting the plugin erases the store's data at once.
    page.locator(".wooxero-bridge-erase input[name=erase]").check()
    page.locator(".wooxero-bridge-erase button").click()
    expect(page.locator(".notice-success")).to_contain_text("Saved.")
    assert site.option("wooxero_bridge_erase_on_uninstall") == "yes"
    page.locator(".wooxero-bridge-erase input[name=erase]").uncheck()
    page.locator(".wooxero-bridge-erase button").click()
    assert site.option("wooxero_bridge_erase_on_uninstall") == "no"  # kept: uninstalled below

    # When the server refuses the embed link, the page says so (and offers no frame).
    secret = site.option("wooxero_bridge_signing_secret")
    site.set_option("wooxero_bridge_signing_secret", "not-the-secret")
    page.goto(f"{site.url}/wp-admin/admin.php?page=wooxero-bridge")
    expect(page.locator(".wrap .notice-error")).to_contain_text("The server refused (401)")
    expect(page.locator("iframe.wooxero-bridge-frame")).to_have_count(0)
    shoot(page, "server-refuses-the-embed")
    site.set_option("wooxero_bridge_signing_secret", secret)

    # The privacy policy guide suggests what is sent where.
    page.goto(f"{site.url}/wp-admin/options-privacy.php?tab=policyguide")
    guide = page.locator(".privacy-settings-accordion, #wpbody-content").first
    expect(guide).to_contain_text("Sync orders with Xero")
    page.get_by_role("button", name=re.compile("Sync orders with Xero")).click()
    expect(guide).to_contain_text(f"an integration server at {wooxero.url}")
    expect(guide).to_contain_text("WordPress user ID, the store")
    shoot(page, "privacy-policy-guide")
    page.goto(f"{site.url}/wp-admin/admin.php?page=wooxero-bridge")

    # Settings opens the server's page inside wp-admin, on another site, without cookies.
    page.locator("#toplevel_page_wooxero-bridge").get_by_role("link", name="Settings").click()
    settings = _embedded(page)
    expect(settings.locator("h1")).to_have_text("Settings")
    assert "Kiwi Shop" in (settings.locator("title").text_content() or "")
    shoot(page, "settings-embedded")
    page.locator("#toplevel_page_wooxero-bridge").get_by_role("link", name="Subscription").click()
    expect(_embedded(page).locator("body")).to_contain_text("days left")
    shoot(page, "subscription-embedded")
    page.locator("#toplevel_page_wooxero-bridge").get_by_role(
        "link", name="Sync & backfill"
    ).click()
    expect(_embedded(page).locator("body")).to_contain_text("Send past orders")
    shoot(page, "sync-embedded")

    # Xero cannot be framed: "Connect to Xero" leaves WordPress for Xero, then comes back.
    page.locator("#toplevel_page_wooxero-bridge").get_by_role(
        "link", name="Xero Connection"
    ).click()
    connect = _embedded(page).get_by_role("button", name="Connect to Xero")
    shoot(page, "xero-connection-embedded")
    connect.click()
    expect(page.locator("body")).to_contain_text(
        "Connected to the Xero organisation Demo Company (NZ)"
    )
    assert page.url.startswith(wooxero.url)  # top-level, not in the frame
    shoot(page, "xero-connected-top-level")
    page.get_by_role("link", name="Back to the store").click()
    assert page.url == f"{site.url}/wp-admin/admin.php?page=wooxero-bridge-xero"
    expect(_embedded(page).locator("body")).to_contain_text("Demo Company (NZ)")
    shoot(page, "xero-connected-in-wordpress")

    # WooCommerce access granted twice: the plugin deletes the first key as soon as it
    # opens a page; a key the store made for something else stays.
    site.database.query(
        "INSERT INTO wordpress.wp_woocommerce_api_keys (user_id, description, permissions,"
        " consumer_key, consumer_secret, truncated_key) VALUES (1, 'Accounting export',"
        f" 'read', '{'a' * 64}', 'cs_{'b' * 40}', 'aaaaaaa')"
    )
    ((other, _),) = site.api_keys()
    first = _grant_woocommerce(page, wooxero)
    shoot(page, "woocommerce-granted")
    second = _grant_woocommerce(page, wooxero)
    assert [key for key, _ in site.api_keys()] == [other, first, second]
    page.get_by_role("link", name="Back to the store").click()
    expect(_embedded(page).locator("h1")).to_be_visible()
    with wooxero.app.app_context():
        app_name = current_config().woocommerce.app_name
    ((kept, description), (mine, _)) = site.api_keys()
    assert (kept, mine) == (other, second) and description == "Accounting export"
    assert site.api_keys()[1][1].startswith(f"{app_name} - API (")

    # Deactivation pauses the store; activating again asks consent again and resumes it.
    _plugin_row(page, site, SLUG).locator(".deactivate a").click()
    expect(_row(page, SLUG, ".inactive")).to_have_count(1)
    assert [row[2] for row in _stores(wooxero)] == [StoreState.PAUSED]
    shoot(page, "deactivated-paused")
    _activate(page, site, SLUG)
    expect(page.get_by_role("button", name=AGREE)).to_be_visible()
    _agree(page)
    assert [(row[0], row[2]) for row in _stores(wooxero)] == [(public_id, StoreState.ACTIVE)]
    shoot(page, "reactivated-active")
    assert _transitions(wooxero) == [
        (None, "pending"), ("pending", "active"), ("active", "paused"), ("paused", "active"),
    ]  # fmt: skip

    # Deleting the plugin runs uninstall.php: the server is told, its webhook and key in the
    # store are deleted (not another app's), the options are gone.
    with wooxero.app.app_context():
        store = db.session.scalars(sa.select(Store)).one()
        ours = woo_access.delivery_url(store)
        hook = site.add_webhook(ours)
        db.session.add(WooWebhook(store_id=store.id, topic="order.updated", webhook_id=hook))
        db.session.commit()
    site.add_webhook("https://crm.example.com/hooks")
    _plugin_row(page, site, SLUG).locator(".deactivate a").click()
    delete = _plugin_row(page, site, SLUG).locator(".delete a").get_attribute("href")
    page.goto(f"{site.url}/wp-admin/{delete}")  # WordPress's confirmation page, without script
    page.get_by_role("button", name="Yes, delete these files and data").click()
    expect(page.locator("#message, .notice-success").first).to_contain_text("deleted")
    shoot(page, "deleted-uninstalled")
    assert [row[2] for row in _stores(wooxero)] == [StoreState.UNINSTALLED]
    for option in ("wooxero_bridge_store_id", "wooxero_bridge_signing_secret",
                   "wooxero_bridge_api_keys"):  # fmt: skip
        assert site.option(option) == ""
    assert site.api_keys() == [(other, "Accounting export")]  # the server's key is revoked
    assert site.webhooks() == ["https://crm.example.com/hooks"]

    declared = site.option("wc_standin_features")
    assert re.search(rf'{SLUG}/{SLUG}.php";a:2:\{{s:19:"custom_order_tables";b:1', declared)
    assert site.plugin_messages() == [], "PHP reported errors or notices in the plugin"

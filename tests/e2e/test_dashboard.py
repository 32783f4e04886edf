"""A shop owner sets up and runs their store with the dashboard's pages alone, in headless
Chromium, against `wooxero serve` with both sandboxes (the stack `make demo` starts): from the
store just linked ("I Agree") through the checklist to a first invoice, then a backfill, a
manual sync, a held order replayed after its mapping is fixed, a preview, and Xero
disconnected. Screenshots of every page are saved in artifacts/dashboard-e2e/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from sandbox.demo.__main__ import ORGANISATION, Demo
from sandbox.demo.onboarding import activate
from tests.support.browser import (
    ARTIFACTS,
    Screenshot,
    accessibility_problems,
    chromium_page,
    screenshot_folder,
)
from tests.support.waiting import HTTP_TIMEOUT, wait_until

pytestmark = pytest.mark.slow

FOLDER = ARTIFACTS / "dashboard-e2e"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Both sandboxes and `wooxero serve`, and a store just linked through the bridge API
    (its stand-in site answers the server's challenge): nothing connected, nothing set."""
    stack = Demo(tmp_path_factory.mktemp("dashboard-e2e") / "demo")
    stack.data_dir.mkdir()
    try:
        stack.start()
        assert stack.site is not None and stack.challenge_route is not None
        tenants = requests.get(f"{stack.xero_url}/_sandbox/tenants", timeout=HTTP_TIMEOUT).json()
        stack.tenant_id = next(t["tenantId"] for t in tenants if t["name"] == ORGANISATION)
        requests.post(
            f"{stack.xero_url}/_sandbox/config",
            json={"auto_approve_tenants": [stack.tenant_id]},
            timeout=HTTP_TIMEOUT,
        ).raise_for_status()
        stack.store = activate(
            stack.server_url, stack.challenge_route, stack.site.base_url, "Kiwi Demo Shop"
        )
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Iterator[Page]:
    with chromium_page(
        request, FOLDER / "failure.png", viewport={"width": 1100, "height": 900}
    ) as p:
        yield p


@pytest.fixture
def shoot() -> Iterator[Screenshot]:
    with screenshot_folder(FOLDER) as take:
        yield take


def open_dashboard(page: Page, demo: Demo, target: str = "main") -> None:
    """The dashboard as the plugin opens it: a fresh one-time link."""
    assert demo.store is not None
    page.goto(demo.store.dashboard_link(target))
    expect(page.locator("h1.page-title")).to_have_count(1)


def step(page: Page, name: str) -> Any:
    return page.locator(f"#step-{name}")


def expect_done(page: Page, name: str) -> None:
    expect(step(page, name)).to_have_class(re.compile(r"\bdone\b"))


def invoices(demo: Demo) -> dict[str, dict[str, Any]]:
    """The Xero sandbox's invoices by number."""
    url = f"{demo.xero_url}/_sandbox/objects/{demo.tenant_id}/Invoices"
    rows = requests.get(url, timeout=HTTP_TIMEOUT).json()["Invoices"]
    return {row["InvoiceNumber"]: row for row in rows}


def place_order(demo: Demo) -> dict[str, Any]:
    """A shopper's order in the sandbox store, paid by its gateway; its webhooks follow."""
    assert demo.site is not None
    answer = requests.post(f"{demo.site.base_url}/_sandbox/orders", json={}, timeout=HTTP_TIMEOUT)
    answer.raise_for_status()
    return answer.json()


def archive_in_xero(demo: Demo, code: str) -> None:
    """A bookkeeper archives an account in Xero's own screens."""
    url = f"{demo.xero_url}/_sandbox/organisations/{demo.tenant_id}/accounts/{code}"
    requests.post(url, json={"Status": "ARCHIVED"}, timeout=HTTP_TIMEOUT).raise_for_status()


def check_page(page: Page, shoot: Screenshot, name: str) -> None:
    """A screenshot of the page, no serious accessibility problem on it, and readable on a
    phone: at 360 px wide nothing makes the page scroll sideways (wide tables scroll in
    their own box)."""
    shoot(page, name)
    problems = accessibility_problems(page)
    assert not problems, f"{name}: {problems}"
    wide = page.viewport_size
    page.set_viewport_size({"width": NARROW, "height": 800})
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= NARROW, f"{name} is {overflow} px wide at {NARROW} px"
        shoot(page, f"{name}-at-{NARROW}px")
    finally:
        if wide is not None:
            page.set_viewport_size(wide)


NARROW = 360
TAX_TYPES = {"15%": "OUTPUT2", "0%": "ZERORATED", "—": "NONE"}  # the NZ organisation's


def test_a_shop_owner_sets_up_and_runs_the_store_from_the_pages(
    demo: Demo, page: Page, shoot: Screenshot
) -> None:
    open_dashboard(page, demo)
    shoot(page, "overview-just-linked")
    expect(step(page, "tax_rates").get_by_role("button", name="Read tax rates")).to_be_disabled()

    # Xero: its consent opens in this window (top-level) and comes back to a page of ours.
    page.get_by_role("button", name="Connect to Xero").click()
    expect(page.locator("body")).to_contain_text(ORGANISATION)
    shoot(page, "xero-connected")

    # WooCommerce: the store's own wc-auth page approves at once and posts the keys back.
    open_dashboard(page, demo)
    expect_done(page, "xero")
    page.get_by_role("button", name="Grant WooCommerce access").click()
    page.wait_for_load_state()
    open_dashboard(page, demo)
    expect_done(page, "woocommerce")

    # The wrong order is refused in words: syncing needs the tax rates read and mapped.
    page.get_by_role("button", name="Turn on syncing").click()
    expect(page.locator(".notice-error")).to_contain_text("Not turned on")
    shoot(page, "turn-on-refused")

    page.get_by_role("button", name="Read tax rates").click()
    expect(page.locator(".notice-success")).to_contain_text("Reading the store")

    def rates_read() -> bool:
        open_dashboard(page, demo)
        return "done" in (step(page, "tax_rates").get_attribute("class") or "")

    wait_until(rates_read, "the tax rates to be read", interval=1)
    expect(page.locator(".notice-warning")).to_contain_text("Unmapped tax")
    check_page(page, shoot, "overview-rates-read")

    # Settings, from the checklist: every rate mapped to a Xero tax rate chosen from the
    # organisation's list, sales into Other Revenue, payments into the bank account.
    step(page, "tax_mapping").get_by_role("link", name="Map tax rates").click()
    rows = page.locator("#tax-mapping tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        charged = row.locator("td").nth(1).inner_text().strip()
        row.locator("select").select_option(TAX_TYPES[charged])
    page.locator('select[name="accounts.sales"]').select_option("260")
    page.locator('select[name="payments.default_account"]').select_option("090")
    check_page(page, shoot, "settings-filled-in")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".notice-success")).to_be_visible()
    expect(page.locator("#tax-mapping")).to_contain_text("Complete")

    # Syncing on: the first order becomes an invoice in Xero within seconds.
    open_dashboard(page, demo)
    expect_done(page, "tax_mapping")
    expect_done(page, "accounts")
    page.get_by_role("button", name="Turn on syncing").click()
    expect(page.locator(".notice-success")).to_contain_text("Syncing is on")
    first = place_order(demo)
    wait_until(lambda: f"WC-{first['number']}" in invoices(demo), "the first invoice in Xero")
    assert invoices(demo)[f"WC-{first['number']}"]["Total"] == float(first["total"])
    open_dashboard(page, demo)
    expect(page.locator("#setup-title")).to_have_count(0)  # set up: the checklist is gone
    check_page(page, shoot, "overview-first-invoice")

    # The order's trail, and what it makes in Xero (a dry run: nothing is sent).
    open_dashboard(page, demo, "activity")
    check_page(page, shoot, "activity")
    page.goto(page.url.split("?")[0] + f"?order={first['id']}&" + page.url.split("?")[1])
    expect(page.locator("body")).to_contain_text(f"WC-{first['number']}")
    check_page(page, shoot, "activity-order-trail")
    page.get_by_role("link", name="Preview in Xero").click()
    expect(page.locator("body")).to_contain_text(first["total"])
    check_page(page, shoot, "activity-preview")

    # A bookkeeper archives the sales account in Xero: the next order is refused, said in
    # plain words with the fix; the mapping fixed, a replay sends it.
    archive_in_xero(demo, "260")
    second = place_order(demo)
    open_dashboard(page, demo, "activity")

    def stuck() -> bool:
        page.select_option("#show", "stuck")
        page.get_by_role("button", name="Filter").click()
        return page.get_by_role("button", name=f"Replay order {second['id']}").count() == 1

    wait_until(stuck, "the second order to be refused by Xero", interval=2)
    check_page(page, shoot, "activity-failed-order")
    open_dashboard(page, demo, "settings")
    page.locator('select[name="accounts.sales"]').select_option("200")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".notice-success")).to_be_visible()
    open_dashboard(page, demo, "activity")
    page.select_option("#show", "stuck")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("button", name=f"Replay order {second['id']}").click()
    expect(page.locator(".notice-success")).to_contain_text(f"Order {second['id']} is on its way")
    wait_until(lambda: f"WC-{second['number']}" in invoices(demo), "the replayed invoice")

    # A backfill of the store's past orders, watched to the end.
    open_dashboard(page, demo, "sync")
    page.fill("#since", "2000-01-01")
    page.get_by_role("button", name="Send past orders").click()
    expect(page.locator("#backfill-bar")).to_be_visible()
    expect(page.locator("[data-field=status]")).to_contain_text("finished")
    expect(page.locator("[data-field=percent]")).to_have_text("100")
    check_page(page, shoot, "sync-backfill-finished")

    # A manual sync, then its cooldown counting down on the button it holds back.
    page.locator("#sync-contacts").click()
    expect(page.locator(".notice-success")).to_be_visible()
    expect(page.locator("#sync-contacts")).to_be_disabled()
    expect(page.locator("[data-releases=sync-contacts]")).to_contain_text("available again in")
    check_page(page, shoot, "sync-cooldown")

    open_dashboard(page, demo, "subscription")
    check_page(page, shoot, "subscription")

    # Disconnecting Xero asks first; the settings and mappings are kept.
    open_dashboard(page, demo, "xero")
    check_page(page, shoot, "xero-connection")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disconnect Xero").click()
    expect(page.get_by_role("button", name="Connect to Xero")).to_be_visible()
    check_page(page, shoot, "xero-disconnected")
    open_dashboard(page, demo, "settings")
    expect(page.locator("#tax-mapping")).to_contain_text("Complete")

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
from tests.support.browser import ARTIFACTS, Screenshot, chromium_page, screenshot_folder
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


def invoices(demo: Demo) -> list[dict[str, Any]]:
    url = f"{demo.xero_url}/_sandbox/objects/{demo.tenant_id}/Invoices"
    return requests.get(url, timeout=HTTP_TIMEOUT).json()


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
    shoot(page, "overview-rates-read")

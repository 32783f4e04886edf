"""The demo store's way in, as a shop owner's: the bridge plugin's activation (consent,
proven by the site's answer to the server's challenge) and its signed calls, the dashboard
opened through a one-time link, its connect buttons (Xero's consent, WooCommerce's wc-auth,
followed as a browser follows them; both sandboxes approve at once), and the settings API
that reads the tax rates, maps them and switches the modules on."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests

from .site import NO_TAX_TYPE, SALES_TAX_TYPES, ChallengeRoute

BRIDGE = "/api/bridge/v1"
HTTP_TIMEOUT = 60.0
SETUP_PATIENCE = 180.0
"""Seconds a step of the set-up may wait for the server's background work."""
BANK_ACCOUNT = "090"
"""The NZ organisation's Business Bank Account: paid orders' payments go there."""

T = TypeVar("T")


class DemoError(RuntimeError):
    """A step of the demo did not go as it should; the message says which and why."""


def wait_for(condition: Callable[[], T], what: str, timeout: float = SETUP_PATIENCE) -> T:
    """The first truthy value of `condition()`, asked every half second; DemoError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise DemoError(f"waited {timeout:g} s for {what}")
        time.sleep(0.5)
    return value


def checked(response: requests.Response, what: str, status: int = 200) -> requests.Response:
    if response.status_code != status:
        raise DemoError(f"{what}: {response.status_code} {response.text[:500]}")
    return response


@dataclass(frozen=True)
class LinkedStore:
    """A store as the plugin knows it after activation: its id and signing secret."""

    server: str
    store_id: str
    signing_secret: str

    def signed_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A bridge call signed as the plugin signs it (README, "The bridge API")."""
        raw = json.dumps(body).encode()
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        message = "\n".join(["POST", path, stamp, nonce, hashlib.sha256(raw).hexdigest()])
        signature = hmac.new(self.signing_secret.encode(), message.encode(), hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "X-Wooxero-Store": self.store_id,
            "X-Wooxero-Timestamp": stamp,
            "X-Wooxero-Nonce": nonce,
            "X-Wooxero-Signature": signature.hexdigest(),
        }
        answer = requests.post(self.server + path, data=raw, headers=headers, timeout=HTTP_TIMEOUT)
        return checked(answer, f"POST {path}").json()

    def dashboard_link(self, target: str = "main") -> str:
        """A fresh one-time link to the store's dashboard (valid a minute, once)."""
        return self.signed_post(f"{BRIDGE}/embed", {"target": target})["url"]


def activate(server: str, site: ChallengeRoute, site_url: str, site_name: str) -> LinkedStore:
    """ "I Agree — Set Up My Account": the site holds a new challenge while the server asks it
    to prove it started this activation."""
    site.challenge = secrets.token_hex(32)
    consent = {
        "site_url": site_url, "admin_email": "owner@demo-store.example",
        "admin_username": "owner", "user_id": 1, "challenge": site.challenge,
        "site_name": site_name, "admin_url": f"{site_url}/wp-admin/",
        "plugin_version": "1.0.0", "wp_version": "6.1.9", "wc_version": "7.4.1",
    }  # fmt: skip
    try:
        answer = requests.post(f"{server}{BRIDGE}/activate", json=consent, timeout=HTTP_TIMEOUT)
    finally:
        site.challenge = ""
    linked = checked(answer, "the activation").json()
    return LinkedStore(server, linked["store_id"], linked["signing_secret"])


class _ConnectForms(HTMLParser):
    """The single-use token of each form on a page, by the path the form posts to."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: dict[str, str] = {}
        self._action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self._action = urlsplit(values.get("action") or "").path
        elif tag == "input" and self._action and values.get("name") == "token":
            self.tokens[self._action] = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None


class Dashboard:
    """A browser on the store's dashboard: the session a one-time link opens, the pages'
    connect buttons, and the settings API (the session token in `X-Wooxero-Dashboard`, as
    the pages' scripts send it)."""

    PAGES = ("main", "xero", "settings")

    def __init__(self, store: LinkedStore) -> None:
        self.server = store.server
        self.browser = requests.Session()
        opened = checked(
            self.browser.get(store.dashboard_link(), timeout=HTTP_TIMEOUT), "the dashboard link"
        )
        (self.session_token,) = parse_qs(urlsplit(opened.url).query)["s"]
        self.api = f"{self.server}/api/v1/stores/{store.store_id}"

    def connect(self, service: str, landing: str) -> None:
        """Press the dashboard's button that connects `service` and follow where it leads,
        as a browser would, until a page of the server whose path starts with `landing`."""
        action = f"/dashboard/{service}/connect"
        token = self._connect_token(action)
        landed = self.browser.post(
            self.server + action,
            data={"token": token},
            headers={"Sec-Fetch-Site": "same-origin"},  # posted from the server's own page
            timeout=HTTP_TIMEOUT,
        )
        if landed.status_code != 200 or not urlsplit(landed.url).path.startswith(landing):
            raise DemoError(
                f"connecting {service} ended at {landed.url} ({landed.status_code}): "
                f"{landed.text[:500]}"
            )

    def _connect_token(self, action: str) -> str:
        for page in self.PAGES:
            forms = _ConnectForms()
            forms.feed(self._page(page))
            if action in forms.tokens:
                return forms.tokens[action]
        raise DemoError(f"no dashboard page has a form posting to {action}")

    def _page(self, target: str) -> str:
        answer = self.browser.get(
            f"{self.server}/dashboard/{target}",
            params={"s": self.session_token},
            timeout=HTTP_TIMEOUT,
        )
        return checked(answer, f"the dashboard's {target} page").text

    def _call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = self.browser.request(
            method,
            self.api + path,
            json=body,
            headers={"X-Wooxero-Dashboard": self.session_token},
            timeout=HTTP_TIMEOUT,
        )
        return checked(answer, f"{method} {path}", status).json()

    def settings(self) -> dict[str, Any]:
        return self._call("GET", "/settings")

    def change_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        answer = self._call("PATCH", "/settings", changes)
        if answer["warnings"]:
            raise DemoError(f"the settings were saved with warnings: {answer['warnings']}")
        return answer

    def sync(self, scope: str) -> None:
        self._call("POST", f"/sync/{scope}", status=202)


def tax_type(need: dict[str, Any]) -> str:
    """The Xero tax type for a key the store needs mapped: the one charging its percentage."""
    if need["key"] == "none":
        return NO_TAX_TYPE
    if need["woo_rate"] not in SALES_TAX_TYPES:
        raise DemoError(f"no Xero tax type charges {need['woo_rate']}% ({need['label']})")
    return SALES_TAX_TYPES[need["woo_rate"]]


def switch_on(dashboard: Dashboard) -> None:
    """What a store admin does after connecting both sides: read the tax rates, map each to
    the Xero tax type charging the same, approve invoices and book payments into the bank
    account, and switch every module on."""
    dashboard.change_settings({"modules": {"tax_rates": True}})
    dashboard.sync("tax_rates")

    def rates_read() -> dict[str, Any] | None:
        status = dashboard.settings()["tax_mapping_status"]
        return status if status["rates_read"] else None

    status = wait_for(rates_read, "the store's tax rates and the organisation's data to be read")
    rows = [
        {"woo_rates": need["key"], "xero_tax_type": tax_type(need)} for need in status["needed"]
    ]
    dashboard.change_settings(
        {
            "tax_mapping": rows,
            "documents": {"invoice_status": "AUTHORISED"},
            "payments": {"default_account": BANK_ACCOUNT},
        }
    )
    modules = {"contacts": True, "items": True, "invoices": True}
    if dashboard.change_settings({"modules": modules})["modules"] != {"tax_rates": True, **modules}:
        raise DemoError("the modules did not all switch on")

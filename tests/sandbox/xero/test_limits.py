"""Xero's rate limits: headers, minute/day/app-minute windows and the concurrent limit."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.waiting import HTTP_TIMEOUT, wait_until

from .conftest import Xero


def test_every_api_response_carries_the_remaining_counts(nz: Xero):
    first = nz.get("/Organisation")
    second = nz.get("/Invoices")
    assert (first.headers["X-MinLimit-Remaining"], second.headers["X-MinLimit-Remaining"]) == (
        "59",
        "58",
    )
    assert second.headers["X-DayLimit-Remaining"] == "4998"
    assert second.headers["X-AppMinLimit-Remaining"] == "9998"


def test_minute_limit_gives_429_with_retry_after_and_recovers(nz: Xero):
    # a window no machine is too slow to make five calls in; then one short enough to wait out
    nz.sandbox("POST", "config", {"minute_limit": 3, "minute_window_seconds": 60})
    statuses = [nz.get("/Organisation").status_code for _ in range(4)]
    limited = nz.get("/Organisation")
    stats = nz.sandbox("GET", "calls").json()[nz.tenant_id]
    assert statuses == [200, 200, 200, 429]
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-MinLimit-Remaining"] == "0"
    assert stats["rejected_429"] == {"minute": 2}
    assert stats["max_per_minute_window"] == 3
    nz.sandbox("POST", "config", {"minute_window_seconds": 1})
    time.sleep(1.1)
    assert nz.get("/Organisation").status_code == 200


def test_daily_and_app_minute_limits(nz: Xero):
    nz.sandbox("POST", "config", {"daily_limit": 2})
    nz.get("/Organisation")
    nz.get("/Organisation")
    day = nz.get("/Organisation")
    nz.sandbox("POST", "config", {"daily_limit": 5000, "app_minute_limit": 2})
    app = nz.get("/Organisation")
    assert day.status_code == 429 and day.headers["X-Rate-Limit-Problem"] == "day"
    assert app.status_code == 429 and app.headers["X-Rate-Limit-Problem"] == "appminute"


def test_limits_are_per_tenant(xero: Xero):
    xero.connect()
    xero.sandbox("POST", "config", {"minute_limit": 1})
    nz_first = xero.get("/Organisation").status_code
    nz_second = xero.get("/Organisation").status_code
    au = Xero(xero.base)
    au.tokens = xero.tokens
    au.tenant_id = next(
        c["tenantId"] for c in xero.connections().json() if c["tenantName"] == "Demo Company (AU)"
    )
    assert (nz_first, nz_second, au.get("/Organisation").status_code) == (200, 429, 200)


def test_concurrent_limit_counts_requests_in_flight(nz: Xero):
    nz.sandbox("POST", "config", {"concurrent_limit": 2, "latency_ms": 400})
    headers = nz.headers()

    def call(_: int) -> requests.Response:
        return requests.get(
            f"{nz.base}/api.xro/2.0/Organisation", headers=headers, timeout=HTTP_TIMEOUT
        )

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(call, range(5)))
    statuses = sorted(r.status_code for r in responses)
    stats = nz.sandbox("GET", "calls").json()[nz.tenant_id]
    assert statuses.count(200) >= 2 and statuses.count(429) >= 1
    assert all(
        r.headers["X-Rate-Limit-Problem"] == "concurrent" for r in responses if r.status_code == 429
    )
    assert (stats["max_in_flight"], stats["in_flight"]) == (2, 0)


def test_a_call_being_answered_is_in_flight_until_it_ends(nz: Xero):
    nz.sandbox("POST", "config", {"latency_ms": 1500})
    headers = nz.headers()

    def in_flight() -> int:
        return nz.sandbox("GET", "calls").json().get(nz.tenant_id, {}).get("in_flight", 0)

    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(
            requests.get, f"{nz.base}/api.xro/2.0/Organisation", headers=headers,
            timeout=HTTP_TIMEOUT,
        )  # fmt: skip
        wait_until(lambda: in_flight() == 1, "the slow call in flight")
        assert slow.result().status_code == 200
    assert in_flight() == 0


def test_identity_endpoints_are_not_rate_limited(xero: Xero):
    xero.sandbox("POST", "config", {"minute_limit": 1})
    for _ in range(3):
        xero.connect()
    assert xero.connections().status_code == 200
    assert "X-MinLimit-Remaining" not in xero.connections().headers


def test_calls_are_counted_per_operation(nz: Xero):
    nz.get("/Invoices")
    nz.put("/Invoices", {"Invoices": []})
    nz.get("/Invoices/INV-9999")
    calls = nz.sandbox("GET", "calls").json()[nz.tenant_id]["calls"]
    assert calls == {"GET /Invoices": 1, "PUT /Invoices": 1, "GET /Invoices/{id}": 1}

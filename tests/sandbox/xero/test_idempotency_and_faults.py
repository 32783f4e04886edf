"""Idempotency keys, injected faults and dropped responses."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from .conftest import Xero, decimal_json, invoice, line


def _count(nz: Xero) -> int:
    return len(nz.get("/Invoices").json()["Invoices"])


def test_same_key_and_request_replays_the_first_response(nz: Xero):
    key = {"Idempotency-Key": "order-1001"}
    first = nz.put("/Invoices", {"Invoices": [invoice()]}, headers=key)
    second = nz.put("/Invoices", {"Invoices": [invoice()]}, headers=key)
    calls = nz.sandbox("GET", "calls").json()[nz.tenant_id]["calls"]
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert _count(nz) == 1
    assert calls["PUT /Invoices"] == 2


def test_same_key_with_a_different_request_is_refused(nz: Xero):
    key = {"Idempotency-Key": "order-1002"}
    nz.put("/Invoices", {"Invoices": [invoice()]}, headers=key)
    other = nz.put("/Invoices", {"Invoices": [invoice(Reference="changed")]}, headers=key)
    assert other.status_code == 400
    assert other.json()["Message"] == "Idempotency Key order-1002 is used with a different request."


def test_errors_are_cached_and_keys_expire(nz: Xero):
    key = {"Idempotency-Key": "order-1003"}
    body = {"Invoices": [invoice(InvoiceNumber="DUP")]}
    nz.put("/Invoices", body)
    failed = nz.put("/Invoices", body, headers=key)
    nz.post(
        f"/Invoices/{nz.get('/Invoices').json()['Invoices'][0]['InvoiceID']}",
        {"Invoices": [{"Status": "DELETED"}]},
    )
    replayed = nz.put("/Invoices", body, headers=key)  # within Xero's window, however slow
    nz.sandbox("POST", "config", {"idempotency_seconds": 1})
    time.sleep(1.1)
    fresh = nz.put("/Invoices", body, headers=key)
    assert failed.status_code == replayed.status_code == 400
    assert replayed.json() == failed.json()
    assert fresh.status_code == 200


def test_keys_longer_than_128_characters_are_refused(nz: Xero):
    response = nz.put("/Invoices", {"Invoices": []}, headers={"Idempotency-Key": "k" * 129})
    assert response.status_code == 400


def test_one_shot_fault_then_normal_service(nz: Xero):
    nz.sandbox("POST", "faults", {"path": "/Invoices", "method": "PUT", "status": 503, "count": 1})
    failed = nz.put("/Invoices", {"Invoices": [invoice()]})
    ok = nz.put("/Invoices", {"Invoices": [invoice()]})
    assert failed.status_code == 503 and failed.json()["Status"] == 503
    assert ok.status_code == 200
    assert _count(nz) == 1


def test_dropped_response_still_applies_the_write(nz: Xero):
    nz.sandbox("POST", "faults", {"path": "/Invoices", "method": "PUT", "drop_response": True})
    with pytest.raises(requests.ConnectionError):
        nz.put("/Invoices", {"Invoices": [invoice(InvoiceNumber="WC-500")]})
    found = nz.get("/Invoices", InvoiceNumbers="WC-500").json()["Invoices"]
    assert len(found) == 1


def test_dropped_token_response_leaves_the_old_refresh_token_usable(xero: Xero):
    xero.connect()
    xero.sandbox("POST", "faults", {"path": "/identity/connect/token", "drop_response": True})
    refresh = {"grant_type": "refresh_token", "refresh_token": xero.tokens["refresh_token"]}
    with pytest.raises(requests.ConnectionError):
        xero.token(refresh)
    assert xero.token(refresh).status_code == 200


def test_random_errors_and_latency(nz: Xero):
    nz.sandbox("POST", "config", {"error_rate": 1.0})
    statuses = {nz.get("/Organisation").status_code for _ in range(8)}
    nz.sandbox("POST", "config", {"error_rate": 0.0, "latency_ms": 250})
    started = time.monotonic()
    nz.get("/Organisation")
    elapsed = time.monotonic() - started
    assert statuses <= {500, 503} and statuses
    assert elapsed >= 0.25


def test_random_drop_rate(nz: Xero):
    nz.sandbox("POST", "config", {"drop_response_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        nz.put("/Contacts", {"Contacts": [{"Name": "Dropped"}]})
    nz.sandbox("POST", "config", {"drop_response_rate": 0.0})
    assert [c["Name"] for c in nz.get("/Contacts").json()["Contacts"]] == ["Dropped"]


def test_injected_throttling_answers_like_the_minute_limit_and_is_not_counted(nz: Xero):
    before = int(nz.get("/Organisation").headers["X-MinLimit-Remaining"])
    nz.sandbox("POST", "config", {"throttle_rate": 1.0, "throttle_retry_after": 3})
    answers = [nz.get("/Organisation") for _ in range(4)]
    nz.sandbox("POST", "config", {"throttle_rate": 0.0})
    assert {a.status_code for a in answers} == {429}
    assert {a.headers["X-Rate-Limit-Problem"] for a in answers} == {"minute"}
    assert {int(a.headers["Retry-After"]) for a in answers} <= {1, 2, 3}
    assert {int(a.headers["X-MinLimit-Remaining"]) for a in answers} == {before}
    assert answers[0].json()["Detail"] == "You have exceeded the per minute rate limit."
    after = nz.get("/Organisation")
    assert int(after.headers["X-MinLimit-Remaining"]) == before - 1
    assert nz.sandbox("GET", "faults").json()["injected"] == {"429": 4}


def test_server_errors_spikes_and_drops_are_tallied(nz: Xero):
    nz.sandbox("POST", "config", {"server_error_rate": 1.0})
    statuses = {nz.get("/Organisation").status_code for _ in range(3)}
    nz.sandbox("POST", "config", {
        "server_error_rate": 0.0, "latency_spike_rate": 1.0, "latency_spike_ms": 200,
    })  # fmt: skip
    started = time.monotonic()
    nz.get("/Organisation")
    elapsed = time.monotonic() - started
    nz.sandbox("POST", "config", {"latency_spike_rate": 0.0, "drop_response_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        nz.put("/Contacts", {"Contacts": [{"Name": "Applied, answer dropped"}]})
    nz.sandbox("POST", "config", {"drop_response_rate": 0.0})
    assert statuses == {500}
    assert elapsed >= 0.2
    assert nz.sandbox("GET", "faults").json()["injected"] == {
        "500": 3, "latency_spike": 1, "dropped": 1,
    }  # fmt: skip
    assert "Applied, answer dropped" in [c["Name"] for c in nz.get("/Contacts").json()["Contacts"]]


def test_bad_fault_and_config_requests(nz: Xero):
    assert nz.sandbox("POST", "faults", {"path": "/Invoices"}).status_code == 400
    assert nz.sandbox("POST", "config", {"clients": {}}).status_code == 400
    assert nz.sandbox("POST", "config", {"minute_limit": "many"}).status_code == 400


def test_objects_endpoint_shows_stored_objects_including_deleted(nz: Xero):
    created = nz.put(
        "/Invoices", {"Invoices": [invoice(LineItems=[line("x", "1", "1.2345")])]}, unitdp=4
    ).json()["Invoices"][0]
    nz.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    response = nz.sandbox("GET", f"objects/{nz.tenant_id}/Invoices?unitdp=4")
    stored = decimal_json(response)["Invoices"]
    assert stored[0]["Status"] == "DELETED"
    assert stored[0]["LineItems"][0]["UnitAmount"] == Decimal("1.2345")

"""Signed webhook deliveries and the intent-to-receive check, against a real receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.waiting import wait_until

from .conftest import Xero, invoice

KEY = "webhook-signing-key"


class Receiver:
    """A webhook endpoint; ``honest`` checks signatures, otherwise it accepts everything."""

    def __init__(self, honest: bool = True) -> None:
        self.honest = honest
        self.payloads: list[dict[str, Any]] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/xero"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        if request.path.endswith("/missing"):
            return Response(status=500)(environ, start_response)
        raw = request.get_data()
        expected = base64.b64encode(hmac.new(KEY.encode(), raw, hashlib.sha256).digest()).decode()
        valid = hmac.compare_digest(expected, request.headers.get("x-xero-signature", ""))
        if self.honest and not valid:
            return Response(status=401)(environ, start_response)
        payload = json.loads(raw)
        if payload["events"]:
            self.payloads.append(payload)
        return Response(status=200)(environ, start_response)

    def events(self, count: int) -> list[dict[str, Any]]:
        """Every event received, once there are ``count``."""

        def enough() -> list[dict[str, Any]]:
            events = [e for p in self.payloads for e in p["events"]]
            return events if len(events) >= count else []

        return wait_until(enough, f"{count} webhook events")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = Receiver()
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def test_signed_events_for_contacts_invoices_and_credit_notes(nz: Xero, receiver: Receiver):
    nz.sandbox("POST", "config", {"webhook_url": receiver.url, "webhook_key": KEY})
    created = nz.put("/Invoices", {"Invoices": [invoice(contact="Hook Customer")]}).json()
    invoice_id = created["Invoices"][0]["InvoiceID"]
    nz.post(f"/Invoices/{invoice_id}", {"Invoices": [{"Reference": "changed"}]})
    note = {
        "Type": "ACCRECCREDIT",
        "Contact": {"Name": "Hook Customer"},
        "LineItems": [{"Description": "r", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200"}],
    }
    nz.put("/CreditNotes", {"CreditNotes": [note]})
    events = receiver.events(4)
    kinds = [(e["eventCategory"], e["eventType"]) for e in events]
    assert kinds == [
        ("CONTACT", "CREATE"),
        ("INVOICE", "CREATE"),
        ("INVOICE", "UPDATE"),
        ("CREDITNOTE", "CREATE"),
    ]
    invoice_event = events[1]
    assert invoice_event["resourceId"] == invoice_id
    assert invoice_event["resourceUrl"].endswith(f"/api.xro/2.0/Invoices/{invoice_id}")
    assert invoice_event["tenantId"] == nz.tenant_id
    assert invoice_event["tenantType"] == "ORGANISATION"
    assert events[3]["data"] == {"Type": "ACCRECCREDIT", "Status": "DRAFT"}
    payload = receiver.payloads[0]
    assert set(payload) == {"events", "firstEventSequence", "lastEventSequence", "entropy"}
    assert payload["lastEventSequence"] - payload["firstEventSequence"] + 1 == len(
        payload["events"]
    )


def test_a_payment_recorded_in_xero_sends_the_invoice_update(nz: Xero, receiver: Receiver):
    nz.sandbox("POST", "config", {"webhook_url": receiver.url, "webhook_key": KEY})
    body = {"Invoices": [invoice(contact="Paid In Xero", Status="AUTHORISED")]}
    invoice_id = nz.put("/Invoices", body).json()["Invoices"][0]["InvoiceID"]
    paid = nz.sandbox(
        "POST",
        f"organisations/{nz.tenant_id}/invoices/{invoice_id}/paid",
        {"Account": {"Code": "090"}},
    )
    events = receiver.events(3)
    assert paid.status_code == 200
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events[1:]] == [
        ("INVOICE", "CREATE", invoice_id),
        ("INVOICE", "UPDATE", invoice_id),
    ]
    assert events[2]["resourceUrl"].endswith(f"/api.xro/2.0/Invoices/{invoice_id}")


def test_intent_to_receive_passes_for_a_correct_receiver(nz: Xero, receiver: Receiver):
    nz.sandbox("POST", "config", {"webhook_url": receiver.url, "webhook_key": KEY})
    result = nz.sandbox("POST", "webhooks/intent-to-receive").json()
    assert result["passed"] is True
    assert sorted(p["correctly_signed"] for p in result["probes"]) == [False, False, True, True]


def test_intent_to_receive_fails_when_bad_signatures_are_accepted(nz: Xero):
    careless = Receiver(honest=False)
    careless.thread.start()
    try:
        nz.sandbox("POST", "config", {"webhook_url": careless.url, "webhook_key": KEY})
        result = nz.sandbox("POST", "webhooks/intent-to-receive").json()
    finally:
        careless.server.shutdown()
        careless.server.server_close()
    assert result["passed"] is False
    assert {p["status"] for p in result["probes"] if not p["correctly_signed"]} == {200}


def test_failed_deliveries_are_retried(nz: Xero, receiver: Receiver):
    nz.sandbox("POST", "config", {"webhook_url": receiver.url + "/missing", "webhook_key": KEY})
    nz.put("/Contacts", {"Contacts": [{"Name": "Retry Me"}]})

    def four() -> list[dict]:
        attempts = nz.sandbox("GET", "webhooks").json()
        return attempts if len(attempts) >= 4 else []

    attempts = wait_until(four, "four delivery attempts", interval=0.1)
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]

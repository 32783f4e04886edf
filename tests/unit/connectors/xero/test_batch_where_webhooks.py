import base64
import hashlib
import hmac
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from server.connectors.xero import resources, where, wire
from server.connectors.xero.batch import MAX_BODY_BYTES, chunks, write_batches
from server.connectors.xero.webhooks import InvalidPayload, parse_events, signature_is_valid
from tests.unit.connectors.xero.conftest import API, envelope


@responses.activate
def test_a_batch_with_one_bad_element_gives_each_result_in_order(client):
    def answer(request):
        sent = json.loads(request.body)["Invoices"]
        out = []
        for position, element in enumerate(sent):
            item = {**element, "InvoiceID": f"id-{position}", "StatusAttributeString": "OK"}
            if element["InvoiceNumber"] == "WC-2":
                item.update(
                    StatusAttributeString="ERROR",
                    HasErrors=True,
                    ValidationErrors=[{"Message": "Invoice # must be unique."}],
                )
            if element["InvoiceNumber"] == "WC-3":
                item.update(
                    StatusAttributeString="WARNING", Warnings=[{"Message": "Rounding applied"}]
                )
            out.append(item)
        return 200, {}, json.dumps({"Invoices": out})

    responses.add_callback(responses.PUT, f"{API}/Invoices", callback=answer)
    elements = [{"InvoiceNumber": f"WC-{n}"} for n in (1, 2, 3)]
    (results,) = list(write_batches(client, resources.INVOICES, elements))
    assert [r.index for r in results] == [0, 1, 2]
    assert [r.status for r in results] == ["OK", "ERROR", "WARNING"]
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].errors == ("Invoice # must be unique.",)
    assert results[2].warnings == ("Rounding applied",)
    assert results[0].element["InvoiceID"] == "id-0"
    assert parse_qs(urlsplit(responses.calls[0].request.url).query) == {
        "summarizeErrors": ["false"]
    }


@responses.activate
def test_batches_are_at_most_fifty_and_results_keep_the_callers_positions(client):
    responses.add_callback(
        responses.PUT,
        f"{API}/Contacts",
        callback=lambda request: (
            200,
            {},
            json.dumps({"Contacts": json.loads(request.body)["Contacts"]}),
        ),
    )
    elements = [{"Name": f"c{n}"} for n in range(120)]
    batches = list(write_batches(client, resources.CONTACTS, elements))
    assert [len(batch) for batch in batches] == [50, 50, 20]
    assert [r.index for batch in batches for r in batch] == list(range(120))
    assert batches[2][0].element["Name"] == "c100"


def test_a_batch_too_large_for_one_request_is_split():
    big = [{"Description": "x" * 200_000} for _ in range(50)]
    ranges = list(chunks(big, "Invoices"))
    assert sum(len(r) for r in ranges) == 50 and len(ranges) > 1
    assert all(
        len(wire.dumps({"Invoices": big[r.start : r.stop]})) <= MAX_BODY_BYTES for r in ranges
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (where.equals("EmailAddress", "a&b+c@example.com"), 'EmailAddress=="a&b+c@example.com"'),
        (where.equals("IsSold", True), "IsSold==true"),
        (
            where.equals_ignoring_case("EmailAddress", "Ann@Example.COM"),
            'EmailAddress!=null AND EmailAddress.ToLower()=="ann@example.com"',
        ),
        (
            where.equals_guid("ContactID", "5D5F8D6A-0000-4000-8000-000000000001"),
            'ContactID==Guid("5d5f8d6a-0000-4000-8000-000000000001")',
        ),
        (where.on_or_after("Date", date(2026, 1, 5)), "Date>=DateTime(2026, 01, 05)"),
        (where.any_of(['Name=="a"', 'Name=="b"']), '(Name=="a") OR (Name=="b")'),
    ],
)
def test_where_expressions(expression, expected):
    assert expression == expected


@pytest.mark.parametrize("value", ['say "hi"', "tab\there", "new\nline"])
def test_values_xero_cannot_filter_on_safely_are_refused(value):
    with pytest.raises(where.UnsafeFilterValue):
        where.equals("Name", value)


def test_field_names_are_checked():
    with pytest.raises(ValueError, match="field"):
        where.equals('Name=="x" OR 1', "y")


@responses.activate
def test_ampersand_and_plus_survive_the_url(client):
    responses.get(f"{API}/Contacts", json=envelope("Contacts", []))
    client.get(resources.CONTACTS, {"where": where.equals("EmailAddress", "a&b+c@example.com")})
    query = urlsplit(responses.calls[0].request.url).query
    assert "%26" in query and "%2B" in query
    assert parse_qs(query)["where"] == ['EmailAddress=="a&b+c@example.com"']


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def test_webhook_signatures():
    body = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"X"}'
    assert signature_is_valid(body, sign(body, "key"), "key")
    assert not signature_is_valid(body, sign(body, "other"), "key")
    assert not signature_is_valid(body + b" ", sign(body, "key"), "key"), (
        "the raw bytes, not re-serialised JSON"
    )
    assert not signature_is_valid(body, None, "key")
    assert not signature_is_valid(body, sign(body, ""), "")
    assert parse_events(body) == []


def test_webhook_events_are_parsed():
    body = json.dumps(
        {
            "events": [
                {
                    "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/i-1",
                    "resourceId": "i-1",
                    "eventDateUtc": "2026-11-22T10:00:01.123",
                    "eventType": "UPDATE",
                    "eventCategory": "INVOICE",
                    "tenantId": "t-1",
                    "tenantType": "ORGANISATION",
                }
            ],
            "firstEventSequence": 1,
            "lastEventSequence": 1,
            "entropy": "E",
        }
    ).encode()
    (event,) = parse_events(body)
    assert (event.category, event.event_type, event.resource_id, event.tenant_id) == (
        "INVOICE",
        "UPDATE",
        "i-1",
        "t-1",
    )
    assert event.event_date == datetime(2026, 11, 22, 10, 0, 1, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"events": []}',
        b'{"events": {}, "firstEventSequence": 0, "lastEventSequence": 0, "entropy": ""}',
        b'{"events": [{"resourceId": "x"}], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": ""}',
    ],
)
def test_malformed_webhook_payloads_are_refused(body):
    with pytest.raises(InvalidPayload):
        parse_events(body)


def test_decimals_are_sent_with_their_exact_digits():
    assert (
        wire.dumps({"a": Decimal("10.10"), "b": Decimal("0.0001"), "d": date(2026, 1, 2)})
        == '{"a":10.1,"b":0.0001,"d":"2026-01-02"}'
    )
    with pytest.raises(ValueError, match="significant digits"):
        wire.dumps({"a": Decimal("12345678901234567.89")})


def test_xero_dates():
    assert wire.parse_ms_date("/Date(0)/") == datetime(1970, 1, 1, tzinfo=UTC)
    assert wire.parse_ms_date("/Date(1573755038314+1300)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC
    )
    assert wire.parse_ms_date("2026-01-01") is None

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from server.connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    RateLimitError,
    TransientError,
    ValidationError,
)
from server.connectors.xero import resources
from server.connectors.xero.client import XeroClient, idempotency_key
from server.connectors.xero.config import Limits
from server.connectors.xero.ratelimit import RateLimiter
from server.connectors.xero.tokens import TokenManager
from tests.unit.connectors.xero.conftest import (
    API,
    IDENTITY,
    TENANT,
    MemoryTokenStore,
    envelope,
    token_response,
    token_set,
)


@responses.activate
def test_every_call_names_the_tenant_and_bears_the_token(client):
    responses.get(f"{API}/Organisation", json=envelope("Organisations", [{"Name": "Demo"}]))
    assert client.get(resources.ORGANISATION) == [{"Name": "Demo"}]
    sent = responses.calls[0].request
    assert sent.headers["xero-tenant-id"] == TENANT
    assert sent.headers["Authorization"] == "Bearer access-1"
    assert sent.headers["Accept"] == "application/json"
    assert "Idempotency-Key" not in sent.headers


@responses.activate
def test_money_is_decimal_and_xero_dates_are_datetimes(client):
    responses.get(
        f"{API}/Invoices",
        body='{"Invoices": [{"Total": 10.10, "AmountDue": 0.30, "UpdatedDateUTC": "/Date(1573755038314+0000)/"}]}',
    )
    (invoice,) = client.get(resources.INVOICES)
    assert invoice["Total"] == Decimal("10.10") and isinstance(invoice["Total"], Decimal)
    assert invoice["AmountDue"] == Decimal("0.30")
    assert invoice["UpdatedDateUTC"] == datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)


@responses.activate
def test_writes_carry_a_content_derived_idempotency_key(client):
    responses.put(f"{API}/Contacts", json=envelope("Contacts", [{"ContactID": "c1"}]))
    body = {"Contacts": [{"Name": "Ann", "Balance": Decimal("1.10")}]}
    client.write("PUT", "Contacts", body, params={"summarizeErrors": "false"})
    client.write("PUT", "Contacts", body, params={"summarizeErrors": "false"})
    client.write(
        "PUT", "Contacts", {"Contacts": [{"Name": "Bob"}]}, params={"summarizeErrors": "false"}
    )
    client.write("PUT", "Contacts", body, params={"summarizeErrors": "false"}, idempotency_salt="2")
    keys = [call.request.headers["Idempotency-Key"] for call in responses.calls]
    assert keys[0] == keys[1], "the same request, the same key"
    assert len({keys[0], keys[2], keys[3]}) == 3, "different content or salt, a different key"
    assert all(len(key) <= 128 for key in keys)
    assert json.loads(responses.calls[0].request.body) == {
        "Contacts": [{"Name": "Ann", "Balance": 1.1}]
    }
    assert responses.calls[0].request.headers["Content-Type"] == "application/json"


@responses.activate
def test_a_401_refreshes_once_and_retries(client, store):
    responses.get(
        f"{API}/Organisation", status=401, json={"Title": "Unauthorized", "Detail": "TokenExpired"}
    )
    responses.get(f"{API}/Organisation", json=envelope("Organisations", [{"Name": "Demo"}]))
    responses.post(f"{IDENTITY}/connect/token", json=token_response("access-2", "refresh-2"))
    assert client.get(resources.ORGANISATION) == [{"Name": "Demo"}]
    api_calls = [c for c in responses.calls if c.request.url.startswith(API)]
    assert [c.request.headers["Authorization"] for c in api_calls] == [
        "Bearer access-1",
        "Bearer access-2",
    ]
    assert store.tokens.refresh_token == "refresh-2"


@responses.activate
def test_a_second_401_is_an_auth_error(client):
    responses.get(f"{API}/Organisation", status=401, json={"Detail": "TokenExpired"})
    responses.post(f"{IDENTITY}/connect/token", json=token_response("access-2", "refresh-2"))
    with pytest.raises(AuthError):
        client.get(resources.ORGANISATION)
    assert len([c for c in responses.calls if c.request.url.startswith(API)]) == 2


@responses.activate
def test_a_minute_429_waits_retry_after_then_succeeds(client, sleeps):
    responses.get(
        f"{API}/Items", status=429, headers={"Retry-After": "7", "X-Rate-Limit-Problem": "minute"}
    )
    responses.get(f"{API}/Items", json=envelope("Items", []))
    assert client.get(resources.ITEMS) == []
    assert any(7.1 <= wait <= 8.0 for wait in sleeps), sleeps


@responses.activate
def test_a_day_429_is_handed_back_with_the_limit_and_the_wait(client):
    responses.get(
        f"{API}/Items", status=429, headers={"Retry-After": "35000", "X-Rate-Limit-Problem": "Day"}
    )
    with pytest.raises(RateLimitError) as caught:
        client.get(resources.ITEMS)
    assert caught.value.limit == "day"
    assert caught.value.retry_after == 35000


@responses.activate
def test_after_a_429_other_clients_wait_too(client, config, oauth, redis_client, lock_name, clock):
    responses.get(
        f"{API}/Items",
        status=429,
        headers={"Retry-After": "3000", "X-Rate-Limit-Problem": "minute"},
    )
    with pytest.raises(RateLimitError):
        client.get(resources.ITEMS)
    other = XeroClient(
        config,
        TENANT,
        TokenManager(oauth, MemoryTokenStore(token_set()), redis_client, lock_name, clock=clock),
        RateLimiter(redis_client, Limits(), app_id="test"),
        max_wait=1,
    )
    with pytest.raises(RateLimitError, match="minute"):
        other.get(resources.ITEMS)
    assert len(responses.calls) == 1, "the second client did not call Xero at all"


@responses.activate
def test_a_concurrent_429_retries_after_a_second(client, sleeps):
    responses.get(
        f"{API}/Items",
        status=429,
        headers={"Retry-After": "1", "X-Rate-Limit-Problem": "concurrent"},
    )
    responses.get(f"{API}/Items", json=envelope("Items", [{"Code": "A"}]))
    assert client.get(resources.ITEMS) == [{"Code": "A"}]
    assert any(1.1 <= wait <= 2.0 for wait in sleeps), sleeps


@responses.activate
def test_5xx_is_retried_with_the_same_key_then_uncertain_for_writes(client, sleeps):
    responses.put(f"{API}/Invoices", status=503, json={"Title": "Service Unavailable"})
    with pytest.raises(TransientError) as caught:
        client.write("PUT", "Invoices", {"Invoices": [{"Type": "ACCREC"}]})
    assert caught.value.uncertain and caught.value.status == 503
    keys = {call.request.headers["Idempotency-Key"] for call in responses.calls}
    assert len(responses.calls) == 3 and len(keys) == 1
    assert len(sleeps) == 2


@responses.activate
def test_a_lost_connection_on_a_write_is_uncertain(client):
    responses.put(f"{API}/Invoices", body=requests.ConnectionError("reset"))
    with pytest.raises(TransientError) as caught:
        client.write("PUT", "Invoices", {"Invoices": []})
    assert caught.value.uncertain


@responses.activate
def test_a_timeout_on_a_read_is_transient_not_uncertain(client):
    responses.get(f"{API}/Items", body=requests.Timeout("slow"))
    with pytest.raises(TransientError) as caught:
        client.get(resources.ITEMS)
    assert not caught.value.uncertain


@responses.activate
def test_validation_errors_name_each_element(client):
    responses.put(
        f"{API}/Invoices",
        status=400,
        json={
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [
                {"ValidationErrors": []},
                {"ValidationErrors": [{"Message": "Invoice # must be unique."}]},
            ],
        },
    )
    with pytest.raises(ValidationError) as caught:
        client.write("PUT", "Invoices", {"Invoices": [{}, {}]})
    assert caught.value.messages == ["element 2: Invoice # must be unique."]


@pytest.mark.parametrize(
    ("status", "error", "reauthorise"),
    [
        (403, AuthError, True),
        (404, NotFoundError, None),
        (400, PermanentError, None),
        (409, PermanentError, None),
    ],
)
@responses.activate
def test_each_status_has_one_error_type(client, status, error, reauthorise):
    responses.get(f"{API}/Invoices/abc", status=status, json={"Message": "nope"})
    with pytest.raises(error) as caught:
        client.get_one(resources.INVOICES, "abc")
    if reauthorise is not None:
        assert caught.value.needs_reauthorisation is reauthorise


@responses.activate
def test_iterate_reads_pages_of_a_thousand_until_a_short_one(client):
    responses.get(f"{API}/Invoices", json=envelope("Invoices", [{"n": i} for i in range(1000)]))
    responses.get(f"{API}/Invoices", json=envelope("Invoices", [{"n": 1000}]))
    items = list(client.iterate(resources.INVOICES, {"Statuses": ["AUTHORISED", "PAID"]}))
    assert len(items) == 1001
    queries = [parse_qs(urlsplit(c.request.url).query) for c in responses.calls]
    assert [q["page"] for q in queries] == [["1"], ["2"]]
    assert queries[0]["pageSize"] == ["1000"]
    assert queries[0]["Statuses"] == ["AUTHORISED,PAID"]


@responses.activate
def test_modified_since_is_sent_as_an_iso_date_time(client):
    responses.get(f"{API}/Contacts", json=envelope("Contacts", []))
    client.get(resources.CONTACTS, modified_since=datetime(2026, 11, 1, 8, 30, tzinfo=UTC))
    assert responses.calls[0].request.headers["If-Modified-Since"] == "2026-11-01T08:30:00+00:00"


def test_parameters_a_resource_does_not_take_are_refused(client):
    with pytest.raises(ValueError, match="InvoiceNumbers"):
        client.get(resources.CONTACTS, {"InvoiceNumbers": ["1"]})


@responses.activate
def test_remaining_counts_from_xero_correct_the_shared_windows(client, redis_client):
    responses.get(
        f"{API}/Items",
        json=envelope("Items", []),
        headers={"X-MinLimit-Remaining": "10", "X-DayLimit-Remaining": "4000"},
    )
    client.get(resources.ITEMS)
    minute_key = f"wooxero:xero:limits:test:{TENANT}:minute"
    day_key = f"wooxero:xero:limits:test:{TENANT}:day"
    assert redis_client.zcard(minute_key) == 50
    assert redis_client.zcard(day_key) == 1000


@responses.activate
def test_a_write_that_never_left_is_not_uncertain(client):
    responses.put(f"{API}/Invoices", body=requests.ConnectTimeout("no route"))
    with pytest.raises(TransientError) as caught:
        client.write("PUT", "Invoices", {"Invoices": []})
    assert not caught.value.uncertain


@responses.activate
def test_an_earlier_lost_answer_keeps_the_write_uncertain(client):
    responses.put(f"{API}/Invoices", body=requests.ReadTimeout("slow"))
    responses.put(f"{API}/Invoices", body=requests.ConnectTimeout("gone"))
    responses.put(f"{API}/Invoices", body=requests.ConnectTimeout("gone"))
    with pytest.raises(TransientError) as caught:
        client.write("PUT", "Invoices", {"Invoices": []})
    assert caught.value.uncertain


@responses.activate
def test_an_app_minute_429_holds_back_every_organisation(
    client, config, oauth, redis_client, lock_name, clock
):
    responses.get(
        f"{API}/Items",
        status=429,
        headers={"Retry-After": "500", "X-Rate-Limit-Problem": "AppMinute"},
    )
    with pytest.raises(RateLimitError) as caught:
        client.get(resources.ITEMS)
    assert caught.value.limit == "appminute"
    other_org = XeroClient(
        config,
        "another-tenant",
        TokenManager(oauth, MemoryTokenStore(token_set()), redis_client, lock_name, clock=clock),
        RateLimiter(redis_client, Limits(), app_id="test"),
        max_wait=1,
    )
    with pytest.raises(RateLimitError, match="appminute"):
        other_org.get(resources.ITEMS)
    assert len(responses.calls) == 1


@responses.activate
def test_a_401_that_a_new_token_cannot_cure_is_not_refreshed(client, store):
    refused = []
    client.on_access_refused = refused.append
    responses.get(
        f"{API}/Payments",
        status=401,
        json={"Title": "Unauthorized", "Detail": "AuthorizationUnsuccessful"},
    )
    with pytest.raises(AuthError) as caught:
        client.get(resources.PAYMENTS)
    assert caught.value.needs_reauthorisation
    assert len(responses.calls) == 1 and refused and store.log == ["load"]


@responses.activate
def test_an_answer_cut_off_midway_is_an_uncertain_write(client):
    responses.put(f"{API}/Invoices", body=requests.exceptions.ChunkedEncodingError("cut"))
    with pytest.raises(TransientError) as caught:
        client.write("PUT", "Invoices", {"Invoices": []})
    assert caught.value.uncertain


@responses.activate
def test_paging_follows_xeros_page_count(client):
    for page in (1, 2):
        responses.get(
            f"{API}/Contacts",
            json={"Contacts": [{"n": page}], "pagination": {"page": page, "pageCount": 2}},
        )
    assert [c["n"] for c in client.iterate(resources.CONTACTS)] == [1, 2], (
        "short pages, yet two of them"
    )


def test_keys_differ_by_organisation():
    same = ("PUT", "Contacts", {}, '{"Contacts":[]}', "")
    assert idempotency_key("org-a", *same) != idempotency_key("org-b", *same)
    assert idempotency_key("org-a", *same) == idempotency_key("org-a", *same)


def test_if_modified_since_only_where_xero_takes_it(client):
    with pytest.raises(ValueError, match="If-Modified-Since"):
        client.get(resources.TAX_RATES, modified_since=datetime(2026, 1, 1, tzinfo=UTC))

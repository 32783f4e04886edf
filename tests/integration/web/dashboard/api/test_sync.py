"""Manual syncs: a scope's module must be on, each scope of each store has its cooldown
(429 with the seconds left), and an accepted request becomes a job."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from rq import Queue

from server.extensions import db
from server.jobs.tasks.push import MANUAL_SYNCS
from server.models import OutboxAction, OutboxEntry, OutboxStatus
from server.stores.settings import rules
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import Modules, StoreSettings, TaxMappingRow
from tests.integration.web.dashboard.api.conftest import make_store

COOLDOWNS = {
    "tax_rates": 60, "contacts": 60, "items": 60, "push": 5, "pull": 10, "drift": 300,
}  # fmt: skip


def switch_on_everything(store) -> None:
    settings = StoreSettings(
        modules=Modules(tax_rates=True, contacts=True, items=True, invoices=True),
        tax_mapping=[TaxMappingRow(woo_rates="none", xero_tax_type="NONE")],
    )
    settings_store.save(store.id, settings)
    db.session.commit()


def queued(redis) -> list[int]:
    """The store ids of the jobs waiting in the high-priority queue."""
    return [job.args[0] for job in Queue("high", connection=redis).get_jobs()]


@pytest.mark.parametrize("scope", sorted(COOLDOWNS))
def test_a_second_request_within_the_cooldown_answers_429(api, store, redis, scope):
    switch_on_everything(store)
    started = time.monotonic()
    first = api.sync(store, scope)
    assert first.status_code == 202
    assert first.get_json() == {"scope": scope, "status": "queued"}
    assert queued(redis) == [store.id]

    second = api.sync(store, scope)
    elapsed = time.monotonic() - started
    assert second.status_code == 429
    retry_after = int(second.headers["Retry-After"])
    assert COOLDOWNS[scope] - 1 - elapsed <= retry_after <= COOLDOWNS[scope]
    assert second.get_json()["retry_after"] == retry_after
    assert str(retry_after) in second.get_json()["error"]
    assert len(queued(redis)) == 1


def test_other_scopes_and_other_stores_have_their_own_cooldowns(api, store):
    other = make_store("https://other.example.com")
    switch_on_everything(store)
    switch_on_everything(other)
    assert api.sync(store, "contacts").status_code == 202
    assert api.sync(store, "contacts").status_code == 429
    assert api.sync(store, "items").status_code == 202
    assert api.sync(other, "contacts").status_code == 202


def test_a_request_after_the_cooldown_is_accepted(api, store, redis):
    switch_on_everything(store)
    assert api.sync(store, "contacts").status_code == 202
    assert api.sync(store, "contacts").status_code == 429
    # the cooldown lapses: its key expires in Redis
    keys = redis.keys("*cooldown*")
    assert len(keys) == 1 and 0 < redis.ttl(keys[0]) <= 60
    redis.delete(*keys)
    assert api.sync(store, "contacts").status_code == 202


def test_a_refused_request_starts_no_cooldown(api, store):
    assert api.sync(store, "push").status_code == 409
    switch_on_everything(store)
    assert api.sync(store, "push").status_code == 202


@pytest.mark.parametrize(
    ("on", "scope", "module"),
    [
        ({}, "tax_rates", "Tax Rates"),
        ({"tax_rates": True}, "contacts", "Contacts"),
        ({"tax_rates": True, "contacts": True}, "items", "Items"),
        ({"tax_rates": True, "contacts": True, "items": True}, "push", "Invoices"),
        ({"tax_rates": True, "contacts": True, "items": True}, "pull", "Invoices"),
        ({"tax_rates": True, "contacts": True, "items": True}, "drift", "Invoices"),
    ],
)
def test_a_scope_whose_module_is_off_answers_409(api, store, redis, on, scope, module):
    settings_store.save(
        store.id,
        StoreSettings(
            modules=Modules(**on), tax_mapping=[TaxMappingRow(woo_rates="none", xero_tax_type="N")]
        ),
    )
    db.session.commit()
    answer = api.sync(store, scope)
    assert answer.status_code == 409
    assert answer.get_json() == {"error": f"the {module} module is off; turn it on first"}
    assert queued(redis) == []


def test_an_unknown_scope_answers_404(api, store):
    switch_on_everything(store)
    answer = api.sync(store, "payments")
    assert answer.status_code == 404 and "payments" in answer.get_json()["error"]


def test_every_job_scope_has_a_cooldown_and_a_module():
    assert (
        set(rules.COOLDOWN_SECONDS)
        == set(rules.SyncScope)
        == set(rules.SCOPE_MODULES)
        == set(MANUAL_SYNCS)
    )
    assert rules.COOLDOWN_SECONDS == COOLDOWNS


def _failed_orders(store, *order_ids: str) -> None:
    for order_id in order_ids:
        db.session.add(
            OutboxEntry(
                store_id=store.id, woo_order_id=order_id, kind="invoice",
                action=OutboxAction.UPSERT, status=OutboxStatus.FAILED, error="refused",
            )
        )  # fmt: skip
    db.session.commit()


def _statuses(store) -> dict[str, OutboxStatus]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(OutboxEntry.woo_order_id, OutboxEntry.status).where(
            OutboxEntry.store_id == store.id
        )
    )
    return {order_id: status for order_id, status in rows}


@pytest.mark.parametrize(
    "order_id", ["²", "\u0661\u0662", "1" * 40, "-5", "0", 0, -3, True, 1.0, 2**63]
)
def test_a_replay_of_an_order_id_that_is_not_a_plain_id_answers_400(api, store, order_id):
    _failed_orders(store, "12")
    answer = api.client.post(
        f"/api/v1/stores/{store.public_id}/replay",
        json={"order_id": order_id},
        headers={"X-CSRFToken": api.token()},
    )
    assert answer.status_code == 400 and "order_id" in answer.get_json()["error"]
    assert _statuses(store) == {"12": OutboxStatus.FAILED}


@pytest.mark.parametrize("order_id", ["12", 12])
def test_a_replay_of_one_order_replays_that_order_only(api, store, order_id):
    _failed_orders(store, "12", "13")
    answer = api.client.post(
        f"/api/v1/stores/{store.public_id}/replay",
        json={"order_id": order_id},
        headers={"X-CSRFToken": api.token()},
    )
    assert answer.status_code == 200 and answer.get_json() == {"replayed": 1}
    assert _statuses(store) == {"12": OutboxStatus.PENDING, "13": OutboxStatus.FAILED}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'"x"', "application/json"),
        (b"[9001]", "application/json"),
        (b"{not json", "application/json"),
        (b"null", "application/json"),
        (b"", "application/json"),
        (b"order_id=12", "application/x-www-form-urlencoded"),
        (b'{"orderid": 12}', "application/json"),
        (b'{"order_id": null}', "application/json"),
        (b"[" * 100_000, "application/json"),
    ],
)
def test_a_replay_body_that_is_not_as_documented_answers_400_and_replays_nothing(
    api, store, body, content_type
):
    _failed_orders(store, "12", "13")
    answer = api.client.post(
        f"/api/v1/stores/{store.public_id}/replay",
        data=body,
        content_type=content_type,
        headers={"X-CSRFToken": api.token()},
    )
    assert answer.status_code == 400 and answer.get_json()["error"]
    assert _statuses(store) == {"12": OutboxStatus.FAILED, "13": OutboxStatus.FAILED}


def test_an_empty_object_replays_every_failed_order_of_the_store(api, store):
    _failed_orders(store, "12", "13")
    answer = api.client.post(
        f"/api/v1/stores/{store.public_id}/replay", json={}, headers={"X-CSRFToken": api.token()}
    )
    assert answer.status_code == 200 and answer.get_json() == {"replayed": 2}
    assert set(_statuses(store).values()) == {OutboxStatus.PENDING}


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_backfill_since_beyond_the_calendar_in_utc_is_a_422(api, store, since):
    switch_on_everything(store)
    answer = api.client.post(
        f"/api/v1/stores/{store.public_id}/backfill",
        json={"since": since},
        headers={"X-CSRFToken": api.token()},
    )
    assert answer.status_code == 422 and "since" in answer.get_json()["errors"]

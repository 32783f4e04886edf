"""Sync & backfill: a manual sync queues once and then counts down its cooldown as Redis
holds it; a scope whose module is off is refused in words; a backfill starts from a day in
the store's timezone and shows progress that matches the outbox; a bad date is an error
next to its field; the drift check's latest report with its findings."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from rq import Queue

from server.extensions import db
from server.models import (
    Backfill,
    BackfillStatus,
    DriftReport,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
)
from server.models.types import utcnow
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import Modules, StoreSettings, TaxMappingRow
from tests.integration.web.bridge.conftest import embed_url, open_embed
from tests.integration.web.dashboard.api.conftest import make_store
from tests.support.dashboard import cache_organisation, found, notices, open_dashboard

ZONE = ZoneInfo("Pacific/Auckland")  # the organisation's NEWZEALANDSTANDARDTIME


@pytest.fixture
def store(app_context):
    shop = make_store()
    cache_organisation(shop, "tenant-1", Name="Kiwi Ltd", Timezone="NEWZEALANDSTANDARDTIME")
    return shop


def switch_on(store, **modules: bool) -> None:
    settings = StoreSettings(
        modules=Modules(**modules),
        tax_mapping=[TaxMappingRow(woo_rates="none", xero_tax_type="NONE")],
    )
    settings_store.save(store.id, settings)
    db.session.commit()


EVERYTHING = {"tax_rates": True, "contacts": True, "items": True, "invoices": True}


def queued_stores(redis, queue: str = "high") -> list[int]:
    return [job.args[0] for job in Queue(queue, connection=redis).get_jobs()]


def countdown_of(html: str, scope: str) -> int:
    return int(found(rf'data-countdown="(\d+)" data-releases="sync-{scope}"', html))


def button_of(html: str, scope: str) -> str:
    return found(rf'<button [^>]*id="sync-{scope}"[^>]*>', html)


def test_a_manual_sync_queues_once_and_the_second_shows_the_countdown(client, store, redis):
    switch_on(store, **EVERYTHING)
    dashboard = open_dashboard(client, store)
    page = dashboard.get("sync").text
    assert "disabled" not in button_of(page, "contacts")

    started = time.monotonic()
    first = dashboard.post("sync", do="sync", scope="contacts")
    assert first.status_code == 200
    assert ("success", "Contacts started; it runs in the background.") in notices(first.text)
    assert queued_stores(redis) == [store.id]

    second = dashboard.post("sync", do="sync", scope="contacts")
    (key,) = redis.keys(f"wooxero:cooldown:{store.id}:contacts")
    held_for = redis.ttl(key)  # what Redis holds, read after the page was made
    elapsed = time.monotonic() - started
    assert second.status_code == 429
    assert queued_stores(redis) == [store.id], "the second request queued nothing"
    left = countdown_of(second.text, "contacts")
    assert max(held_for, 60 - 1 - elapsed) <= left <= 60
    assert f"it can run again in {left} s" in notices(second.text)[0][1]
    assert "disabled" in button_of(second.text, "contacts")
    assert "disabled" not in button_of(second.text, "items"), "each scope has its own cooldown"

    redis.delete(key)  # as the cooldown lapses
    again = dashboard.get("sync").text
    assert 'data-releases="sync-contacts"' not in again
    assert "disabled" not in button_of(again, "contacts")


@pytest.mark.parametrize(
    ("on", "scope", "label", "module"),
    [
        ({}, "contacts", "Contacts", "Contacts"),
        ({"tax_rates": True, "contacts": True, "items": True}, "push", "Orders to Xero",
         "Invoices"),
    ],
)  # fmt: skip
def test_a_scope_whose_module_is_off_is_refused_in_words(
    client, store, redis, on, scope, label, module
):
    switch_on(store, **on)
    dashboard = open_dashboard(client, store)
    page = dashboard.get("sync").text
    assert "disabled" in button_of(page, scope)
    assert f"The {module} module is off:" in page
    assert re.search(r'href="/dashboard/settings\?s=[^"]+">turn it on in Settings</a>', page)

    refused = dashboard.post("sync", do="sync", scope=scope)
    assert refused.status_code == 409
    expected = f"{label} did not start: the {module} module is off; turn it on first."
    assert ("error", expected) in notices(refused.text)
    assert queued_stores(redis) == [] and redis.keys("wooxero:cooldown:*") == []


@pytest.mark.parametrize("form", [{"do": "sync", "scope": "payments"}, {"do": "erase"}, {}])
def test_an_action_the_page_does_not_offer_answers_400(client, store, redis, form):
    switch_on(store, **EVERYTHING)
    answer = open_dashboard(client, store).post("sync", **form)
    assert answer.status_code == 400 and notices(answer.text)[0][0] == "error"
    assert queued_stores(redis) == []


def _running_backfill(store) -> Backfill:
    return db.session.scalars(
        sa.select(Backfill).where(
            Backfill.store_id == store.id, Backfill.status == BackfillStatus.RUNNING
        )
    ).one()


def _entries(store, run: Backfill, statuses: list[OutboxStatus]) -> None:
    for number, status in enumerate(statuses, start=1):
        db.session.add(
            OutboxEntry(
                store_id=store.id, woo_order_id=str(number), kind="invoice",
                action=OutboxAction.UPSERT, status=status, backfill_id=run.id,
            )
        )  # fmt: skip
    db.session.commit()


def _field(html: str, name: str) -> str:
    return found(rf'data-field="{name}">([^<]*)<', html)


def test_a_backfill_starts_and_shows_progress_that_matches_the_outbox(client, store, redis):
    switch_on(store, **EVERYTHING)
    dashboard = open_dashboard(client, store)
    day = (utcnow().astimezone(ZONE) - timedelta(days=30)).date()
    started = dashboard.post("sync", do="backfill", since=day.isoformat())
    assert started.status_code == 200, notices(started.text)
    assert notices(started.text)[0][0] == "success"
    run = _running_backfill(store)
    assert run.since == datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)
    assert [job.args[0] for job in Queue("low", connection=redis).get_jobs()] == [run.id]

    run.read, run.total = 8, 10
    statuses = [OutboxStatus.DONE] * 3 + [
        OutboxStatus.HELD, OutboxStatus.WAITING, OutboxStatus.FAILED, OutboxStatus.PENDING,
        OutboxStatus.SENDING,
    ]  # fmt: skip
    _entries(store, run, statuses)
    counts = dict(
        db.session.execute(
            sa.select(OutboxEntry.status, sa.func.count())
            .where(OutboxEntry.backfill_id == run.id)
            .group_by(OutboxEntry.status)
        ).all()
    )
    held = counts[OutboxStatus.HELD] + counts[OutboxStatus.WAITING]  # both wait on a person
    settled = counts[OutboxStatus.DONE] + held + counts[OutboxStatus.FAILED]

    page = dashboard.get("sync").text
    assert re.search(rf'<progress id="backfill-bar" class="progress" max="10" value="{settled}"',
                     page)  # fmt: skip
    assert (_field(page, "done"), _field(page, "total")) == (str(settled), "10")
    assert _field(page, "read") == "8"
    assert (_field(page, "held"), _field(page, "failed")) == (str(held), "1")
    assert _field(page, "percent") == str(settled * 100 // 10)
    assert _field(page, "left") == "under a minute"  # four orders at Xero's pace
    assert "backfill.js" in page, "the page follows the run while it goes on"

    url = re.search(r'data-backfill-url="([^"]+)"', page).group(1)
    token = re.search(r'data-session="([^"]+)"', page).group(1)
    polled = client.get(url, headers={"X-Wooxero-Dashboard": token}).get_json()
    assert (polled["done"], polled["held"], polled["failed"]) == (settled, held, 1)

    run.status, run.finished_at = BackfillStatus.DONE, utcnow()
    db.session.commit()
    finished = dashboard.get("sync").text
    assert "backfill.js" not in finished, "no polling once the run has ended"
    assert 'data-status="done"' in finished and "finished" in _field(finished, "left")


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("", "Enter a date such as 2026-01-31."),
        ("yesterday", "Enter a date such as 2026-01-31."),
        ("2026-13-01", "Enter a date such as 2026-01-31."),
        ("\uff12\uff10\uff12\uff16-01-01", "Enter a date such as 2026-01-31."),
        ("0001-01-01", "Enter a date such as 2026-01-31."),  # before UTC's calendar begins
        ("0001-01-02", "Enter a day from 1 January 2000 on."),  # no date WooCommerce reads
        ("1999-12-31", "Enter a day from 1 January 2000 on."),
        ("9999-12-31", "The backfill did not start: the start date is in the future."),
    ],
)
def test_a_bad_date_is_an_error_next_to_its_field(client, store, redis, since, message):
    switch_on(store, **EVERYTHING)
    answer = open_dashboard(client, store).post("sync", do="backfill", since=since)
    assert answer.status_code in (409, 422)
    assert f'<span class="field-error" id="since-error">{message}</span>' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert db.session.scalar(sa.select(sa.func.count(Backfill.id))) == 0


def test_one_backfill_runs_at_a_time(client, store, redis):
    switch_on(store, **EVERYTHING)
    dashboard = open_dashboard(client, store)
    assert dashboard.post("sync", do="backfill", since="2026-01-01").status_code == 200
    again = dashboard.post("sync", do="backfill", since="2026-02-01")
    assert again.status_code == 409
    assert "is already running" in again.text


def test_a_backfill_needs_the_invoices_module(client, store, redis):
    switch_on(store, tax_rates=True)
    answer = open_dashboard(client, store).post("sync", do="backfill", since="2026-01-01")
    assert answer.status_code == 409
    assert "the Invoices module is off; turn it on first" in answer.text


def test_the_drift_checks_latest_report_shows_its_findings_and_starts_again(client, store, redis):
    switch_on(store, **EVERYTHING)
    finding = {
        "order_id": "41", "number": "WC-41", "kind": "total", "store": "NZD 115.00",
        "xero": "NZD 100.00", "fix": "Replay the order: its invoice is sent again.",
        "replay": True,
    }  # fmt: skip
    db.session.add(
        DriftReport(
            store_id=store.id, finished_at=utcnow(), checked=12, differences=1,
            findings=[finding],
        )
    )  # fmt: skip
    db.session.commit()
    dashboard = open_dashboard(client, store)
    page = dashboard.get("sync").text
    assert "12 invoice(s) compared" in page and "1 difference(s)" in page
    for value in ("WC-41", "NZD 115.00", "NZD 100.00", finding["fix"]):
        assert f"<td>{value}</td>" in page

    checked = dashboard.post("sync", do="sync", scope="drift")
    assert ("success", "Drift check started; it runs in the background.") in notices(checked.text)
    assert 240 < countdown_of(checked.text, "drift") <= 300


def test_the_plugins_embed_link_opens_the_page(client, store, redis):
    store.signing_secret = "s3cret-of-the-link"
    db.session.commit()
    linked = {"store_id": store.public_id, "signing_secret": store.signing_secret}
    opened = open_embed(client, embed_url(client, linked, "sync"))
    assert opened.status_code == 302 and opened.headers["Location"].startswith("/dashboard/sync?")
    page = client.get(opened.headers["Location"])
    assert (
        page.status_code == 200 and '<h1 class="page-title">Sync &amp; backfill</h1>' in page.text
    )

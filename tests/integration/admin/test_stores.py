"""The operators' list of stores: each store's figures, search and filters, and the actions
on one store or many."""

from __future__ import annotations

import html
import random
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Queue

from server.extensions import db
from server.models import (
    ConnectionStatus,
    Direction,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    Plan,
    Store,
    StoreState,
    StoreTransition,
    Subscription,
    SubscriptionStatus,
    SyncRecord,
    WooConnection,
    WooWebhook,
    XeroConnection,
)
from server.models.types import utcnow
from server.redis_client import EXTENSION_KEY, redis_from_url
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings
from tests.support.admin import filter_url
from tests.support.processes import free_port
from tests.support.web import admin_action, csrf_token, log_in, make_operator

ON_THEIR_WAY = {OutboxStatus.WAITING, OutboxStatus.PENDING, OutboxStatus.SENDING,
                OutboxStatus.UNCERTAIN, OutboxStatus.BOOKS}  # fmt: skip


def _cells(page: str, store_id: int) -> dict[str, str]:
    """The store's row of the list, by column, as text."""
    row = re.search(
        rf'<tr>\s*<td>\s*<input type="checkbox" name="rowid"[^>]*value="{store_id}".*?</tr>',
        page,
        re.DOTALL,
    )
    assert row, f"store {store_id} is not listed"
    return {
        name: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())
        for name, value in re.findall(r'<td class="col-(\w+)">(.*?)</td>', row.group(0), re.DOTALL)
    }


def _listed(page: str) -> set[int]:
    return {int(value) for value in re.findall(r'name="rowid"[^>]*value="(\d+)"', page)}


def _store(n: int, state: StoreState = StoreState.ACTIVE, **fields: object) -> Store:
    store = Store(
        url=f"https://shop{n}.example", name=f"Shop {n}", state=state,
        admin_email=f"owner{n}@mail{n}.example", **fields,
    )  # fmt: skip
    db.session.add(store)
    db.session.flush()
    return store


@pytest.fixture
def seeded(app_context):
    """Four stores with random outbox statuses and sync records, one without anything."""
    rng = random.Random(3)
    now = utcnow()
    starter, growth = Plan(code="starter", name="Starter"), Plan(code="growth", name="Growth")
    db.session.add_all([starter, growth])
    db.session.flush()
    stores, expected = [], {}
    plans = [starter, growth, growth, None]
    subscriptions = [SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE,
                     SubscriptionStatus.TRIALING, None]  # fmt: skip
    xero = [ConnectionStatus.CONNECTED, ConnectionStatus.NEEDS_REAUTHORISATION, None, None]
    for n in range(4):
        store = _store(n, StoreState.PAUSED if n == 3 else StoreState.ACTIVE)
        stores.append(store)
        if plans[n] is not None:
            db.session.add(Subscription(store_id=store.id, plan_id=plans[n].id,
                                        status=subscriptions[n]))  # fmt: skip
        if xero[n] is not None:
            db.session.add(XeroConnection(store_id=store.id, tenant_name=f"Org {n}",
                                          tenant_id=f"t{n}", status=xero[n]))  # fmt: skip
        statuses = (
            [rng.choice(list(OutboxStatus)) for _ in range(rng.randint(0, 25))] if n < 3 else []
        )
        for order, status in enumerate(statuses, start=1):
            db.session.add(OutboxEntry(store_id=store.id, woo_order_id=str(order), kind="invoice",
                                       action=OutboxAction.UPSERT, status=status))  # fmt: skip
        moments = [now - timedelta(minutes=rng.randint(1, 10_000)) for _ in range(n * 3)]
        for moment in moments:
            db.session.add(SyncRecord(store_id=store.id, direction=Direction.PUSH, kind="invoice",
                                      woo_id="1", action="create", outcome=Outcome.OK,
                                      started_at=moment))  # fmt: skip
        expected[store.id] = {
            "held": statuses.count(OutboxStatus.HELD),
            "failed": statuses.count(OutboxStatus.FAILED),
            "waiting": sum(status in ON_THEIR_WAY for status in statuses),
            "last_sync": max(moments).strftime("%Y-%m-%d %H:%M:%S UTC") if moments else "never",
        }
    db.session.commit()
    return stores, expected


def test_each_store_shows_its_own_figures(client, seeded):
    stores, expected = seeded
    make_operator()
    log_in(client)
    page = client.get("/admin/store/").text
    for store in stores:
        cells = _cells(page, store.id)
        for column in ("held", "failed", "waiting", "last_sync"):
            assert cells[column] == str(expected[store.id][column]), (store.id, column)
    first, second, third, fourth = (_cells(page, store.id) for store in stores)
    assert (first["plan"], first["subscription"], first["organisation"]) == (
        "Starter", "active", "Org 0")  # fmt: skip
    assert (second["plan"], second["subscription"]) == ("Growth", "past due")
    assert second["organisation"] == "Org 1 (needs reauthorisation)"
    assert "Xero needs you to sign in again" in second["alerts"]
    assert "Your last payment failed" in second["alerts"]
    assert third["organisation"] == "not connected"
    assert (fourth["plan"], fourth["subscription"], fourth["alerts"]) == ("none", "none", "none")
    for store, cells in zip(stores, (first, second, third), strict=False):
        orders = expected[store.id]
        if orders["failed"] or orders["held"]:
            assert "waits for you" in cells["alerts"]


def test_the_figures_cost_the_same_queries_for_few_stores_or_a_page_of_them(client):
    """No query per store: a page of 40 stores costs what a page of 2 does."""
    make_operator()
    log_in(client)

    plan = Plan(code="small", name="Small", monthly_order_limit=1)  # each store's usage read

    def queries_for_the_list(count: int) -> int:
        for n in range(len(db.session.scalars(sa.select(Store.id)).all()), count):
            store = _store(n)
            db.session.add(Subscription(store=store, plan=plan, status=SubscriptionStatus.ACTIVE))
            db.session.add(SyncRecord(store_id=store.id, direction=Direction.PUSH, kind="invoice",
                                      woo_id=str(n % 2), action="create", outcome=Outcome.OK,
                                      started_at=utcnow()))  # fmt: skip
            db.session.add(XeroConnection(store_id=store.id, tenant_name="Org"))
            db.session.add(WooConnection(store_id=store.id))
            db.session.add(OutboxEntry(store_id=store.id, woo_order_id="1", kind="invoice",
                                       action=OutboxAction.UPSERT, status=OutboxStatus.HELD))  # fmt: skip
        db.session.commit()
        page = client.get("/admin/store/").text
        over = [store_id for store_id in _listed(page) if "Nothing is being sent to Xero"
                in _cells(page, store_id)["alerts"]]  # fmt: skip
        assert len(over) == count  # each used its quota of one order
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/store/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    assert queries_for_the_list(2) == queries_for_the_list(40)


@pytest.mark.parametrize(
    ("search", "expected"),
    [("shop1.example", [1]), ("Shop 2", [2]), ("owner3@mail3", [3]), ("nothing", [])],
)
def test_search_by_address_name_or_admin_email(client, seeded, search, expected):
    stores, _ = seeded
    make_operator()
    log_in(client)
    page = client.get("/admin/store/", query_string={"search": search}).text
    assert _listed(page) == {stores[n].id for n in expected}


@pytest.mark.parametrize(
    ("label", "value", "which"),
    [
        ("Plan", "grow", lambda n, e: n in (1, 2)),
        ("Subscription", "past_due", lambda n, e: n == 1),
        ("Subscription", "never", lambda n, e: n == 3),
        ("Xero", "connected", lambda n, e: n == 0),
        ("Xero", "needs_reauthorisation", lambda n, e: n == 1),
        ("Xero", "never", lambda n, e: n in (2, 3)),
        ("Has held orders", "yes", lambda n, e: e["held"] > 0),
        ("Has held orders", "no", lambda n, e: e["held"] == 0),
        ("Has failed orders", "yes", lambda n, e: e["failed"] > 0),
        ("Has orders on their way", "yes", lambda n, e: e["waiting"] > 0),
    ],
)
def test_each_filter_keeps_the_stores_it_names(client, app_context, seeded, label, value, which):
    stores, expected = seeded
    make_operator()
    log_in(client)
    page = client.get(filter_url(app_context, "store", label, value)).text
    assert _listed(page) == {
        store.id for n, store in enumerate(stores) if which(n, expected[store.id])
    }


def test_the_state_filter(client, app_context, seeded):
    stores, _ = seeded
    make_operator()
    log_in(client)
    page = client.get(filter_url(app_context, "store", "State", "paused", "equals")).text
    assert _listed(page) == {stores[3].id}


@pytest.mark.parametrize(("label", "operation"), [("Subscription", ""), ("State", "equals")])
def test_a_filter_value_not_offered_filters_nothing_and_is_no_500(
    client, app_context, seeded, label, operation
):
    make_operator()
    log_in(client)
    answer = client.get(filter_url(app_context, "store", label, "bogus", operation))
    assert answer.status_code == 200
    assert len(_listed(answer.text)) == 4
    answer = client.get(filter_url(app_context, "store", label, "%00", operation))
    assert answer.status_code == 400


def _flashes(client) -> str:
    return html.unescape(client.get("/admin/store/").text)


def test_pause_and_resume_say_what_happened_to_each_store(client):
    make_operator()
    active, paused = _store(1), _store(2, StoreState.PAUSED)
    db.session.commit()
    log_in(client)
    admin_action(client, "store", "pause", [active.id, paused.id])
    said = _flashes(client)
    assert "Shop 1 (https://shop1.example): paused." in said
    assert "Shop 2 (https://shop2.example): already paused." in said
    db.session.expire_all()
    assert db.session.get(Store, active.id).state is StoreState.PAUSED
    admin_action(client, "store", "resume", [active.id])
    assert "Shop 1 (https://shop1.example): resumed." in _flashes(client)
    changes = db.session.scalars(sa.select(StoreTransition.to_state)).all()
    assert changes == [StoreState.PAUSED, StoreState.ACTIVE]


def _invoices_on(store: Store) -> None:
    settings_store.save(store.id, StoreSettings.model_validate({"modules": {
        "tax_rates": True, "contacts": True, "items": True, "invoices": True}}))  # fmt: skip
    db.session.commit()


def test_sync_now_queues_a_flush_for_active_stores_with_invoices_on(client, redis):
    make_operator()
    ready, off, paused = _store(1), _store(2), _store(3, StoreState.PAUSED)
    _invoices_on(ready)
    log_in(client)
    admin_action(client, "store", "resync", [ready.id, off.id, paused.id])
    said = _flashes(client)
    assert "Shop 1 (https://shop1.example): a sync of its waiting orders is queued." in said
    assert "Shop 2 (https://shop2.example): not synced: the Invoices module is off" in said
    assert "Shop 3 (https://shop3.example): not synced: the store is paused." in said
    jobs = Queue("high", connection=redis).get_jobs()
    assert [(job.func_name, job.args) for job in jobs] == [
        ("server.jobs.tasks.push.flush", (ready.id,))
    ]
    admin_action(client, "store", "resync", [ready.id])
    assert "synced moments ago; again in" in _flashes(client), "the manual sync's cooldown"


def test_replay_sends_each_stores_failed_and_held_orders_again(client, redis):
    make_operator()
    first, second = _store(1), _store(2)
    for store, statuses in ((first, [OutboxStatus.FAILED, OutboxStatus.HELD, OutboxStatus.DONE]),
                            (second, [OutboxStatus.DONE])):  # fmt: skip
        for order, status in enumerate(statuses, start=1):
            db.session.add(OutboxEntry(store_id=store.id, woo_order_id=str(order), kind="invoice",
                                       action=OutboxAction.UPSERT, status=status, error="x"))  # fmt: skip
    db.session.commit()
    log_in(client)
    admin_action(client, "store", "replay", [first.id, second.id])
    said = _flashes(client)
    assert "Shop 1 (https://shop1.example): 2 failed or held order(s) sent again." in said
    assert "Shop 2 (https://shop2.example): no order is failed or held." in said
    statuses = db.session.scalars(
        sa.select(OutboxEntry.status).where(OutboxEntry.store_id == first.id)
        .order_by(OutboxEntry.woo_order_id)
    ).all()  # fmt: skip
    assert statuses == [OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.DONE]
    assert [job.args for job in Queue("default", connection=redis).get_jobs()] == [(first.id,)]


def test_webhooks_are_put_back_only_where_woocommerce_is_connected(client, redis):
    make_operator()
    connected, missing = _store(1), _store(2)
    db.session.add(WooConnection(store_id=connected.id, status=ConnectionStatus.CONNECTED))
    db.session.add(WooWebhook(store_id=connected.id, topic="order.updated", webhook_id=4,
                              status="disabled"))  # fmt: skip
    db.session.commit()
    log_in(client)
    listed = _cells(client.get("/admin/store/").text, connected.id)
    assert "turned off 1 of wooxero's webhooks" in listed["alerts"]
    admin_action(client, "store", "webhooks", [connected.id, missing.id])
    said = _flashes(client)
    assert "Shop 1 (https://shop1.example): its webhooks are being put back" in said
    assert "Shop 2 (https://shop2.example): no webhooks: WooCommerce is not connected" in said
    jobs = Queue("low", connection=redis).get_jobs()
    assert [(job.func_name, job.args) for job in jobs] == [
        ("server.jobs.tasks.inbound.check_store_webhooks", (connected.id,))
    ]


@pytest.mark.parametrize("name", ["resync", "replay", "webhooks", "resume"])
def test_without_redis_each_action_says_so_in_words(client, app_context, name, monkeypatch):
    make_operator()
    store = _store(1, StoreState.PAUSED if name == "resume" else StoreState.ACTIVE)
    db.session.add(WooConnection(store_id=store.id, status=ConnectionStatus.CONNECTED))
    db.session.add(OutboxEntry(store_id=store.id, woo_order_id="1", kind="invoice",
                               action=OutboxAction.UPSERT, status=OutboxStatus.FAILED))  # fmt: skip
    _invoices_on(store)
    log_in(client)
    token = csrf_token(client.get("/admin/store/").text)
    monkeypatch.setitem(
        app_context.extensions, EXTENSION_KEY, redis_from_url(f"redis://127.0.0.1:{free_port()}")
    )
    answer = client.post(
        "/admin/store/action/",
        data={"action": name, "rowid": str(store.id), "csrf_token": token},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "Redis is unavailable" in html.unescape(answer.text)


def test_actions_need_the_csrf_token(client):
    make_operator()
    store = _store(1)
    db.session.commit()
    log_in(client)
    for name in ("pause", "resync", "replay", "webhooks"):
        answer = client.post("/admin/store/action/", data={"action": name, "rowid": str(store.id)})
        assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Store, store.id).state is StoreState.ACTIVE


def test_the_stores_page_has_a_button_for_each_action_that_returns_to_it(client):
    make_operator()
    store = _store(1)
    db.session.commit()
    log_in(client)
    page = client.get(f"/admin/store/details/?id={store.id}").text
    forms = re.findall(r'<form method="post" action="/admin/store/action/"[^>]*>(.*?)</form>',
                       page, re.DOTALL)  # fmt: skip
    fields = next(
        dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        for form in forms
        if 'name="action" value="pause"' in form
    )
    answer = client.post(
        "/admin/store/action/", data={k: html.unescape(v) for k, v in fields.items()}
    )
    assert answer.headers["Location"] == f"/admin/store/details/?id={store.id}"
    db.session.expire_all()
    assert db.session.get(Store, store.id).state is StoreState.PAUSED
    for label in ("Sync now", "Replay failed and held orders", "Re-create webhooks", "Resume"):
        assert f">{label}</button>" in page


def test_each_row_opens_the_stores_dashboard(client):
    make_operator()
    store = _store(1)
    db.session.commit()
    log_in(client)
    row = _cells(client.get("/admin/store/").text, store.id)
    assert row["dashboard"] == "Open the store's dashboard"


def test_connections_subscriptions_and_state_changes_link_their_store(client):
    make_operator()
    store = _store(1)
    plan = Plan(code="starter", name="Starter")
    db.session.add(plan)
    db.session.flush()
    db.session.add_all([
        XeroConnection(store_id=store.id, tenant_name="Org"), WooConnection(store_id=store.id),
        Subscription(store_id=store.id, plan_id=plan.id),
    ])  # fmt: skip
    store.transition_to(StoreState.PAUSED, "test", "ops@example.com")
    db.session.commit()
    log_in(client)
    link = f'<a href="/admin/store/details/?id={store.id}">Shop 1 (https://shop1.example)</a>'
    for view in ("xeroconnection", "wooconnection", "subscription", "storetransition"):
        assert link in client.get(f"/admin/{view}/").text, view

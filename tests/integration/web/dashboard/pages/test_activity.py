"""The Activity page: filters and pages of the sync records, the stuck orders, one order's
trail with its links, replay of one or all, and the preview that writes and sends nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.models import (
    Binding,
    BindingKind,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Outcome,
    ReferenceKind,
    Store,
    StoreState,
    SyncRecord,
    WooRecord,
)
from server.push import reference as xero_reference
from server.stores import activity
from server.stores.settings import storage as settings_store
from server.stores.settings.schema import StoreSettings, TaxMappingRow
from server.web.dashboard.sessions import open_dashboard_session
from tests.unit.mapping.helpers import nz_tenant

INVOICE_ID = "0b5e8d43-7c9f-4a4e-9a57-2f1c1d2f6a01"
OUTCOMES = [Outcome.OK, Outcome.WARNING, Outcome.HELD, Outcome.ERROR, Outcome.SKIPPED]
KINDS = ["order", "invoice", "payment", "product"]
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_store(url: str = "https://shop.example.com", admin_url: str = "") -> Store:
    store = Store(url=url, name="Shop", state=StoreState.ACTIVE, admin_url=admin_url)
    db.session.add(store)
    db.session.commit()
    return store


class Page:
    """A dashboard session on one store, as the embed link opens it."""

    def __init__(self, client: Any, store: Store) -> None:
        self.client = client
        self.token = open_dashboard_session(store)

    def get(self, **params: Any) -> Any:
        return self.client.get("/dashboard/activity", query_string={"s": self.token, **params})

    def post(self, **form: Any) -> Any:
        return self.client.post("/dashboard/activity", data={"s": self.token, **form})


@pytest.fixture
def store(app_context: Any) -> Store:
    return make_store(admin_url="https://shop.example.com/wp-admin")


@pytest.fixture
def page(client: Any, store: Store, redis: Any) -> Page:
    return Page(client, store)


def add_records(store: Store, count: int) -> list[dict[str, Any]]:
    """`count` records, an hour apart, cycling through outcomes and kinds (two share each
    moment, so the pages must order by id too); what each is, for the expectations."""
    made = []
    for index in range(count):
        outcome, kind = OUTCOMES[index % 5], KINDS[index % 4]
        started = START + timedelta(hours=index // 2)
        row = SyncRecord(
            store_id=store.id, kind=kind, woo_id=str(1000 + index % 7), action="push",
            outcome=outcome, message=f"record {index}", started_at=started,
        )  # fmt: skip
        db.session.add(row)
        made.append({"index": index, "outcome": outcome, "kind": kind, "started": started})
    db.session.commit()
    return made


def shown(body: str) -> list[int]:
    """The records a page lists, by their index, in order."""
    return [int(n) for n in re.findall(r"record (\d+)", body)]


def walk(page: Page, **params: Any) -> list[int]:
    """Every page of the list, following "Older"."""
    seen: list[int] = []
    after = None
    while True:
        answer = page.get(**params, **({"after": after} if after else {}))
        assert answer.status_code == 200
        body = answer.get_data(as_text=True)
        seen += shown(body)
        found = re.search(r'href="[^"]*after=([^&"]+)[^"]*"[^>]*>Older', body)
        if not found:
            return seen
        after = html.unescape(found.group(1)).replace("%7E", "~").replace("%3A", ":")
        after = after.replace("%2B", "+")


def newest_first(made: list[dict[str, Any]], keep: Any) -> list[int]:
    rows = [row for row in made if keep(row)]
    rows.sort(key=lambda row: (row["started"], row["index"]), reverse=True)
    return [row["index"] for row in rows]


def test_every_record_once_newest_first_across_pages(page, store):
    made = add_records(store, activity.PAGE_SIZE * 2 + 7)
    first = shown(page.get().get_data(as_text=True))
    assert len(first) == activity.PAGE_SIZE
    assert walk(page) == newest_first(made, lambda row: True)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_filtered_by_outcome(page, store, outcome):
    made = add_records(store, 130)
    expected = newest_first(made, lambda row: row["outcome"] == outcome)
    assert walk(page, show=outcome.value) == expected


def test_filtered_by_kind_and_local_dates(page, store):
    made = add_records(store, 120)
    # UTC: no organisation is cached, so the store's days are UTC days.
    since, until = date(2026, 3, 2), date(2026, 3, 3)
    expected = newest_first(
        made,
        lambda row: row["kind"] == "invoice" and since <= row["started"].date() <= until,
    )
    assert expected  # the data crosses those days
    assert walk(page, kind="invoice", since="2026-03-02", until="2026-03-03") == expected


def test_dates_are_the_store_s_local_days(page, store):
    xero_reference.keep(
        store.id, ReferenceKind.ORGANISATION, [{"Timezone": "NEWZEALANDSTANDARDTIME"}], ""
    )
    db.session.commit()
    made = add_records(store, 60)
    # 2 March in Auckland (UTC+13 in March) is 1 March 11:00 to 2 March 11:00 UTC.
    begins = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    expected = newest_first(made, lambda row: begins <= row["started"] < begins + timedelta(days=1))
    assert walk(page, since="2026-03-02", until="2026-03-02") == expected


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"show": "everything"}, "Not an outcome"),
        ({"kind": "<script>"}, "Not a kind"),
        ({"since": "yesterday"}, "Not a date"),
        ({"since": "0001-01-01"}, "Only days from"),
        ({"until": "9999-12-31"}, "Only days from"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, "Ends before it starts"),
        ({"after": "garbage"}, "page marker"),
        ({"after": "2026-03-09T00:00:00~99999999999999999999999"}, "page marker"),
        ({"after": "2026-03-09~0"}, "page marker"),  # no time zone: not one of ours
        ({"after": "nan~1"}, "page marker"),
        ({"after": "0001-01-01T00:00:00+01:00~1"}, "page marker"),  # before year 1 in UTC
        ({"after": "9999-12-31T23:59:59-01:00~1"}, "page marker"),  # after 9999 in UTC
    ],
)
def test_garbage_filters_are_ignored_with_words(page, store, params, words):
    add_records(store, 10)
    answer = page.get(**params)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and words in body
    assert shown(body) == sorted(range(10), key=lambda i: (i // 2, i), reverse=True)
    assert "<script>" not in body


@pytest.mark.parametrize("order", ["abc", "-1", "1e5", "9" * 30, "0", "²", "١٢", ""])
def test_a_garbage_order_is_a_400(page, order):
    assert page.get(order=order).status_code == 400


def stuck_entry(store: Store, woo_order_id: str, status: OutboxStatus, error: str) -> OutboxEntry:
    entry = OutboxEntry(
        store_id=store.id, woo_order_id=woo_order_id, kind="invoice", action=OutboxAction.UPSERT,
        number=f"WC-{woo_order_id}", status=status, error=error, currency="NZD",
        total=Decimal("11.50"), explanation=["a rounding line of 0.01 makes the total exact"],
    )  # fmt: skip
    db.session.add(entry)
    db.session.commit()
    return entry


def test_the_failed_or_held_now_with_xero_s_words_explained(page, store):
    stuck_entry(
        store,
        "7",
        OutboxStatus.FAILED,
        "element 1: Account code '200' is not a valid code for this document.",
    )
    stuck_entry(store, "8", OutboxStatus.HELD, "a fee line has no tax mapping")
    stuck_entry(store, "9", OutboxStatus.DONE, "")
    body = page.get(show="stuck").get_data(as_text=True)
    assert "WC-7" in body and "WC-8" in body and "WC-9" not in body
    assert "Settings → Accounts" in body  # the fix of the account refusal
    assert "a fee line has no tax mapping" in body


def test_replay_one_and_all_change_the_outbox(page, store, monkeypatch):
    from server.web.dashboard import actions

    monkeypatch.setattr(actions.flush, "enqueue", lambda store_id: None)
    for woo_id in ("7", "8", "9"):
        stuck_entry(store, woo_id, OutboxStatus.FAILED, "refused")

    def statuses() -> dict[str, OutboxStatus]:
        db.session.expire_all()
        rows = db.session.scalars(sa.select(OutboxEntry).where(OutboxEntry.store_id == store.id))
        return {row.woo_order_id: row.status for row in rows}

    answer = page.post(do="replay", order="8")
    assert "Order 8 is on its way" in answer.get_data(as_text=True)
    assert statuses() == {
        "7": OutboxStatus.FAILED,
        "8": OutboxStatus.PENDING,
        "9": OutboxStatus.FAILED,
    }
    answer = page.post(do="replay", order="all")
    assert "2 orders sent to Xero again" in answer.get_data(as_text=True)
    assert set(statuses().values()) == {OutboxStatus.PENDING}
    assert "nothing to replay" in page.post(do="replay", order="all").get_data(as_text=True)
    assert "whole number" in page.post(do="replay", order="x").get_data(as_text=True)
    # "Replay all" asks first.
    stuck_entry(store, "10", OutboxStatus.HELD, "held")
    assert 'data-confirm="Send all 1 failed and held orders' in page.get().get_data(as_text=True)


def test_every_form_of_the_page_carries_the_session(page, store):
    """A POST without the session token is refused: each form must carry it (the macros
    are imported with the page's context)."""
    stuck_entry(store, "7", OutboxStatus.FAILED, "refused")
    for params in ({}, {"show": "stuck"}, {"order": "7"}):
        body = page.get(**params).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*>.*?</form>", body, re.S)
        assert forms
        assert all(f'name="s" value="{page.token}"' in form for form in forms), params


def test_an_order_s_trail_with_its_links(page, store):
    xero_reference.keep(store.id, ReferenceKind.ORGANISATION, [{"ShortCode": "!Ab1Cd"}], "")
    stuck_entry(store, "42", OutboxStatus.FAILED, "Unable to assign an Archived contact.")
    db.session.add(
        Binding(
            store_id=store.id,
            kind=BindingKind.INVOICE,
            woo_id="42",
            xero_id=INVOICE_ID,
            xero_number="WC-42",
        )
    )
    for hours, outcome in ((1, Outcome.OK), (2, Outcome.ERROR)):
        db.session.add(SyncRecord(
            store_id=store.id, kind="invoice", woo_id="42", action="create", outcome=outcome,
            message=f"attempt {hours}", currency="NZD", woo_total=Decimal("11.50"),
            xero_total=Decimal("11.49"), started_at=START + timedelta(hours=hours),
        ))  # fmt: skip
    db.session.add(
        SyncRecord(
            store_id=store.id,
            kind="product",
            woo_id="42",
            action="receive",
            outcome=Outcome.OK,
            message="a product, not the order",
        )
    )
    db.session.commit()
    kept_order(store, id=42, number="A-1042")
    body = html.unescape(page.get(order="42").get_data(as_text=True))
    assert "Order A-1042" in body  # WooCommerce's number, not the document's
    assert body.index("attempt 2") < body.index("attempt 1")  # newest first
    assert "a product, not the order" not in body
    assert "NZD 11.50" in body and "NZD 11.49" in body  # both totals, side by side
    assert "Restore the contact in Xero" in body
    assert "https://shop.example.com/wp-admin/post.php?post=42&action=edit" in body
    assert (
        "https://go.xero.com/organisationlogin/default.aspx?shortcode=!Ab1Cd"
        f"&redirecturl=/AccountsReceivable/View.aspx?InvoiceID={INVOICE_ID}"
    ) in body
    assert "a rounding line of 0.01 makes the total exact" in body


def test_another_store_s_order_is_not_reachable(page, store, app_context):
    other = make_store("https://other.example.com")
    stuck_entry(other, "77", OutboxStatus.FAILED, "refused")
    db.session.add(
        WooRecord(
            store_id=other.id, resource="order", woo_id="77", data={"id": 77}, content_hash="x"
        )
    )
    db.session.commit()
    assert page.get(order="77").status_code == 404
    assert page.get(order="77", preview="1").status_code == 404
    page.post(do="replay", order="77")
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(OutboxEntry.status).where(OutboxEntry.store_id == other.id))
        is OutboxStatus.FAILED
    )


# -- the preview ----------------------------------------------------------------------------


def kept_order(store: Store, **changes: Any) -> dict[str, Any]:
    """An order as the intake keeps it: two beanies at 10.00 + 15 % GST, 23.00 in all."""
    order = {
        "id": 501, "number": "1042", "status": "processing", "currency": "NZD",
        "prices_include_tax": False, "date_created": "2026-04-01T09:30:00",
        "date_created_gmt": "2026-03-31T20:30:00", "date_paid_gmt": None, "customer_id": 0,
        "billing": {"first_name": "Aroha", "last_name": "Ngata", "email": "a@example.com"},
        "shipping": {}, "meta_data": [],
        "line_items": [{
            "id": 1, "name": "Merino Beanie", "product_id": 40, "variation_id": 0, "quantity": 2,
            "subtotal": "20.00", "total": "20.00", "sku": "BEANIE-01",
            "taxes": [{"id": 1, "total": "3.00", "subtotal": "3.00"}],
        }],
        "shipping_lines": [], "fee_lines": [],
        "tax_lines": [{"rate_id": 1, "tax_total": "3.00", "shipping_tax_total": "0.00"}],
        "total": "23.00",
    } | changes  # fmt: skip
    db.session.add(
        WooRecord(
            store_id=store.id,
            resource="order",
            woo_id=str(order["id"]),
            data=order,
            content_hash="x",
        )
    )
    db.session.commit()
    return order


def organisation_cached(store: Store) -> None:
    """The sandbox's NZ organisation, as the reference refresh keeps it."""
    tenant = nz_tenant()
    rows = {
        ReferenceKind.ORGANISATION: [tenant.organisation],
        ReferenceKind.TAX_RATES: list(tenant.rows("TaxRates").values()),
        ReferenceKind.ACCOUNTS: list(tenant.rows("Accounts").values()),
        ReferenceKind.TRACKING_CATEGORIES: list(tenant.rows("TrackingCategories").values()),
        ReferenceKind.ITEMS: [],
    }
    for kind, kept in rows.items():
        xero_reference.keep(store.id, kind, kept, "tenant")
    settings_store.save(store.id, StoreSettings(tax_mapping=[
        TaxMappingRow(woo_rates="1", xero_tax_type="OUTPUT2"),
        TaxMappingRow(woo_rates="none", xero_tax_type="NONE"),
    ]))  # fmt: skip
    db.session.commit()


def row_counts() -> dict[str, int]:
    tables = db.metadata.sorted_tables
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}


def test_the_preview_shows_the_mapped_lines_and_totals_and_writes_nothing(page, store, monkeypatch):
    organisation_cached(store)
    kept_order(store)
    import requests

    def no_call(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the preview called out")

    monkeypatch.setattr(requests.Session, "request", no_call)
    stuck_entry(store, "501", OutboxStatus.HELD, "held before the settings were fixed")
    before = row_counts()
    writes: list[str] = []

    def note_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note_writes)
    try:
        answer = page.get(order="501", preview="1")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note_writes)
    body = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert "Merino Beanie" in body and "OUTPUT2" in body and ">200<" in body
    assert ">2<" in body and "10.0000" in body  # quantity, unit amount (4 dp on invoices)
    assert "NZD 3.00" in body  # the tax
    assert body.count("NZD 23.00") == 2 and "equal" in body  # Xero's total, the order's
    assert "Invoice WC-1042" in body
    db.session.expire_all()
    assert row_counts() == before and writes == []
    entry = db.session.scalar(sa.select(OutboxEntry).where(OutboxEntry.woo_order_id == "501"))
    assert entry.status is OutboxStatus.HELD and entry.number == "WC-501"  # as it was


def test_a_held_order_s_preview_says_why(page, store):
    organisation_cached(store)
    kept_order(store, tax_lines=[{"rate_id": 9, "tax_total": "3.00", "shipping_tax_total": "0.00"}],
               line_items=[{"id": 1, "name": "Beanie", "product_id": 40, "variation_id": 0,
                            "quantity": 1, "subtotal": "20.00", "total": "20.00", "sku": "B",
                            "taxes": [{"id": 9, "total": "3.00", "subtotal": "3.00"}]}])  # fmt: skip
    body = page.get(order="501", preview="1").get_data(as_text=True)
    assert "cannot be represented exactly" in body
    assert re.search(r"<li>[^<]*rate\(s\) 9 is not mapped[^<]*</li>", body)  # the mapper's why


def test_an_order_of_unexpected_shape_is_previewed_as_the_flush_holds_it(page, store, monkeypatch):
    """The mapper turns the shapes it knows into reasons; one it did not foresee raises, and
    the flush holds the order for it: the preview says the same, never a 500."""
    organisation_cached(store)
    kept_order(store)

    def unforeseen(*args: Any, **kwargs: Any) -> None:
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr("server.stores.activity.mapped_order", unforeseen)
    answer = page.get(order="501", preview="1")
    body = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert "could not be mapped (TypeError: 'NoneType' object is not subscriptable)" in body


def test_a_preview_of_an_order_not_kept_is_a_404(page, store):
    assert page.get(order="9999", preview="1").status_code == 404

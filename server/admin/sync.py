"""The rows of the sync, as operators look into them: inbound events, sync records, the
outbox, backfills and bindings. Each names its store (linked to the store's page), links
orders to wp-admin and Xero documents to Xero, filters by store, status, kind and time,
shows stored JSON with its secrets hidden, and sends orders or events through again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateTimeBetweenFilter,
    DateTimeGreaterFilter,
    DateTimeSmallerFilter,
)
from redis.exceptions import RedisError

from server.admin.access import ReadOnlyModelView
from server.admin.rows import (
    StoreReferences,
    json_column,
    order_column,
    redis_or_say,
    row_ids,
    store_column,
    xero_column,
)
from server.extensions import db
from server.jobs.tasks import inbound
from server.models import (
    Backfill,
    Binding,
    InboundEvent,
    OutboxEntry,
    Store,
    SyncRecord,
)
from server.stores.activity import DOCUMENT_BINDINGS, ORDER_KINDS
from server.web.dashboard import actions


class _InStore(BaseSQLAFilter):
    """Rows of the stores whose name or address contains the words given."""

    def validate(self, value: str) -> bool:
        return bool(value.strip()) and "\x00" not in value and len(value) <= 200

    def apply(self, query: Any, value: str, alias: Any = None) -> Any:
        words = value.strip()
        stores = sa.select(Store.id).where(
            sa.or_(
                Store.name.icontains(words, autoescape=True),
                Store.url.icontains(words, autoescape=True),
            )
        )
        return query.filter(self.column.in_(stores))

    def operation(self) -> str:
        return "name or address contains"


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class _UTCAfter(DateTimeGreaterFilter):
    def clean(self, value: str) -> datetime:
        return _as_utc(super().clean(value))

    def operation(self) -> str:
        return "after (UTC)"


class _UTCBefore(DateTimeSmallerFilter):
    def clean(self, value: str) -> datetime:
        return _as_utc(super().clean(value))

    def operation(self) -> str:
        return "before (UTC)"


class _UTCBetween(DateTimeBetweenFilter):
    def clean(self, value: str) -> list[datetime]:
        return [_as_utc(moment) for moment in super().clean(value)]

    def operation(self) -> str:
        return "between (UTC)"


def _store_and_time(store_id: Any, moment: Any, label: str) -> list[BaseSQLAFilter]:
    """The filters every sync view has: the store, and a time range on `moment`."""
    return [
        _InStore(store_id, "Store"),
        _UTCAfter(moment, label),
        _UTCBefore(moment, label),
        _UTCBetween(moment, label),
    ]


def replay_orders(orders: Iterable[tuple[int, str]]) -> None:
    """The orders `(store_id, woo_order_id)` that are failed or held back to the outbox,
    each store's in one commit and one flush; said per store."""
    by_store: dict[int, set[str]] = defaultdict(set)
    for store_id, woo_order_id in orders:
        by_store[store_id].add(woo_order_id)
    if not by_store:
        flash("None of the rows selected is an order: nothing to replay.", "error")
        return
    stores = db.session.scalars(sa.select(Store).where(Store.id.in_(by_store)).order_by(Store.id))
    for store in stores:
        wanted = sorted(by_store[store.id])
        redis_or_say(
            store,
            lambda store=store, wanted=wanted: _replayed(
                actions.replay_orders(store, wanted), len(wanted)
            ),
            "the failed and held ones are back in the outbox, and go once Redis answers",
        )


def _replayed(count: int, asked: int) -> str:
    return f"{count} of {asked} order(s) sent again (only failed and held orders are replayed)"


class InboundEventView(StoreReferences, ReadOnlyModelView):
    column_list = [
        "received_at", "store_id", "source", "topic", "resource_id", "status", "attempts",
        "error",
    ]  # fmt: skip
    column_details_list = [
        "id", "received_at", "processed_at", "store_id", "source", "topic", "resource",
        "resource_id", "resource_modified_at", "delivery_id", "status", "attempts",
        "next_attempt_at", "error", "payload",
    ]  # fmt: skip
    column_labels = {"store_id": "Store", "resource_id": "Record"}
    column_formatters = {
        "store_id": store_column,
        "resource_id": order_column(
            "resource_id",
            lambda event: event.source in inbound.WOO_SOURCES and event.resource == "order",
        ),
    }
    column_formatters_detail = {**column_formatters, "payload": json_column}
    column_filters = [
        "source", "status", "topic", *_store_and_time(InboundEvent.store_id,
                                                      InboundEvent.received_at, "Received"),
    ]  # fmt: skip
    column_searchable_list = ["resource_id", "delivery_id"]
    column_default_sort = ("id", True)

    @action("retry", "Retry", "Try the selected failed events again?")
    def action_retry(self, ids: list[str]) -> None:
        try:
            count = inbound.retry_failed_events(row_ids(ids))
        except RedisError as error:
            flash(f"The events are pending again, but no job could be enqueued: {error}", "error")
            return
        flash(f"{count} failed event(s) will be tried again; the others were not failed.")


class SyncRecordView(StoreReferences, ReadOnlyModelView):
    column_list = [
        "started_at", "store_id", "kind", "woo_id", "xero_id", "action", "outcome",
        "currency", "woo_total", "xero_total", "message",
    ]  # fmt: skip
    column_details_list = [
        "id", "started_at", "finished_at", "store_id", "direction", "kind", "woo_id",
        "xero_id", "action", "outcome", "message", "currency", "woo_total", "xero_total",
        "job_id", "inbound_event_id", "details",
    ]  # fmt: skip
    column_labels = {"store_id": "Store", "woo_id": "WooCommerce", "xero_id": "Xero"}
    column_formatters = {
        "store_id": store_column,
        "woo_id": order_column("woo_id", lambda record: record.kind in ORDER_KINDS),
        "xero_id": xero_column(lambda record: record.kind),
    }
    column_formatters_detail = {**column_formatters, "details": json_column}
    column_filters = [
        "outcome", "kind", "action", "direction",
        *_store_and_time(SyncRecord.store_id, SyncRecord.started_at, "Started"),
    ]  # fmt: skip
    column_searchable_list = ["woo_id", "xero_id", "message"]
    column_default_sort = ("id", True)

    @action("replay", "Replay the orders", "Send the selected records' orders again?")
    def action_replay(self, ids: list[str]) -> None:
        records = db.session.execute(
            sa.select(SyncRecord.store_id, SyncRecord.woo_id).where(
                SyncRecord.id.in_(row_ids(ids)),
                SyncRecord.kind.in_(ORDER_KINDS),
                SyncRecord.woo_id != "",
            )
        ).all()
        replay_orders((store_id, woo_id) for store_id, woo_id in records)


class OutboxEntryView(StoreReferences, ReadOnlyModelView):
    """What each order should be in Xero, and why it is not there yet (held, failed)."""

    column_list = [
        "updated_at", "store_id", "woo_order_id", "kind", "number", "action", "status",
        "currency", "total", "attempts", "error",
    ]  # fmt: skip
    column_details_exclude_list = ["content_hash", "customer_key"]
    column_labels = {"store_id": "Store", "woo_order_id": "Order"}
    column_formatters = {"store_id": store_column, "woo_order_id": order_column("woo_order_id")}
    column_formatters_detail = {
        **column_formatters, "document": json_column, "contact": json_column,
        "items": json_column, "explanation": json_column,
    }  # fmt: skip
    column_filters = [
        "status", "kind", "action",
        *_store_and_time(OutboxEntry.store_id, OutboxEntry.updated_at, "Updated"),
    ]  # fmt: skip
    column_searchable_list = ["woo_order_id", "number", "error"]
    column_default_sort = ("id", True)

    @action("replay", "Replay", "Send the selected failed or held orders again?")
    def action_replay(self, ids: list[str]) -> None:
        entries = db.session.execute(
            sa.select(OutboxEntry.store_id, OutboxEntry.woo_order_id).where(
                OutboxEntry.id.in_(row_ids(ids))
            )
        ).all()
        replay_orders((store_id, woo_order_id) for store_id, woo_order_id in entries)


class BackfillView(StoreReferences, ReadOnlyModelView):
    column_list = ["started_at", "store_id", "since", "status", "read", "total", "error"]
    column_labels = {"store_id": "Store"}
    column_formatters = {"store_id": store_column}
    column_filters = ["status", _InStore(Backfill.store_id, "Store")]
    column_default_sort = ("id", True)


class BindingView(StoreReferences, ReadOnlyModelView):
    column_list = ["store_id", "kind", "woo_id", "xero_id", "xero_number", "updated_at"]
    column_labels = {"store_id": "Store", "woo_id": "WooCommerce", "xero_id": "Xero"}
    column_formatters = {
        "store_id": store_column,
        "woo_id": order_column("woo_id", lambda binding: binding.kind in DOCUMENT_BINDINGS),
        "xero_id": xero_column(lambda binding: binding.kind.value),
    }
    column_filters = ["kind", _InStore(Binding.store_id, "Store")]
    column_searchable_list = ["woo_id", "xero_id", "xero_number"]

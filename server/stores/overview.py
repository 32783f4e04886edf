"""What a store's Overview shows: the setup steps and which are done, the health of its
connections, the orders synced per day, the last day's counts, and the alerts with the
action that fixes each. Read in a few indexed queries, so the page stays fast for a store
with years of records."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.billing import entitlement, usage
from server.billing.entitlement import Entitlement
from server.extensions import db
from server.models import (
    Backfill,
    ConnectionStatus,
    OutboxEntry,
    OutboxStatus,
    ReferenceKind,
    Subscription,
    SubscriptionStatus,
    SyncRecord,
    XeroConnection,
    XeroReference,
)
from server.models.connection import WooConnection
from server.models.types import utcnow
from server.stores.health import MOVING, disabled_webhooks
from server.stores.settings import rules
from server.stores.settings.schema import StoreSettings
from server.stores.settings.tax_mapping import TaxMappingStatus

TRIAL_ENDING_DAYS = 3


class Step(enum.StrEnum):
    """The setup, in the order it can be done."""

    WOOCOMMERCE = "woocommerce"
    XERO = "xero"
    TAX_RATES = "tax_rates"
    TAX_MAPPING = "tax_mapping"
    ACCOUNTS = "accounts"
    MODULES = "modules"
    BACKFILL = "backfill"  # optional


@dataclass(frozen=True)
class SetupStep:
    step: Step
    done: bool
    ready: bool  # its prerequisites are done: it can be done now
    detail: str  # what is missing, or what was done, in words
    optional: bool = False


@dataclass(frozen=True)
class Setup:
    steps: tuple[SetupStep, ...]

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps if not step.optional)


def setup(
    store_id: int,
    settings: StoreSettings,
    status: TaxMappingStatus,
    xero: XeroConnection | None,
    woo: WooConnection | None,
) -> Setup:
    kinds = set(
        db.session.scalars(sa.select(XeroReference.kind).where(XeroReference.store_id == store_id))
    )
    accounts = (ReferenceKind.ORGANISATION, ReferenceKind.ACCOUNTS)
    references = (
        rules.cached_references(store_id, accounts) if ReferenceKind.ACCOUNTS in kinds else {}
    )
    woo_ok = woo is not None and woo.status == ConnectionStatus.CONNECTED
    xero_ok = xero is not None and xero.status == ConnectionStatus.CONNECTED
    rates_read = ReferenceKind.WOO_TAX_RATES in kinds and ReferenceKind.TAX_RATES in kinds
    account_errors = rules.reference_errors(settings, references, ("accounts", "payments"))
    payments_unset = settings.payments.enabled and not (
        settings.payments.default_account or settings.payments.by_gateway
    )
    accounts_done = ReferenceKind.ACCOUNTS in kinds and not account_errors and not payments_unset
    ran_backfill = db.session.scalar(
        sa.select(sa.func.count(Backfill.id)).where(Backfill.store_id == store_id)
    )
    on = settings.modules
    steps = (
        SetupStep(Step.WOOCOMMERCE, woo_ok, True, _connection_detail(woo, "WooCommerce")),
        SetupStep(Step.XERO, xero_ok, True, _connection_detail(xero, "Xero")),
        SetupStep(
            Step.TAX_RATES, on.tax_rates and rates_read, woo_ok and xero_ok,
            "read from the store and from Xero" if rates_read else "not read yet",
        ),
        SetupStep(
            Step.TAX_MAPPING, rates_read and status.complete, rates_read,
            "every rate has a Xero tax type" if status.complete else status.describe(),
        ),
        SetupStep(
            Step.ACCOUNTS, accounts_done, ReferenceKind.ACCOUNTS in kinds,
            _accounts_detail(account_errors, payments_unset),
        ),
        SetupStep(
            Step.MODULES, on.invoices, rates_read and status.complete,
            "orders go to Xero" if on.invoices else "; ".join(
                rules.blocking_reasons(settings, status)) or "ready",
        ),
        SetupStep(
            Step.BACKFILL, bool(ran_backfill), on.invoices,
            "started" if ran_backfill else "past orders stay out of Xero unless you send them",
            optional=True,
        ),
    )  # fmt: skip
    return Setup(steps)


def _connection_detail(connection: XeroConnection | WooConnection | None, name: str) -> str:
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return f"{name} is not connected"
    if connection.status == ConnectionStatus.CONNECTED:
        return getattr(connection, "tenant_name", "") or "connected"
    if connection.status == ConnectionStatus.CHOOSING_ORGANISATION:
        return "choose which Xero organisation this store uses"
    return connection.status_reason or connection.status.value.replace("_", " ")


def _accounts_detail(errors: dict[str, str], payments_unset: bool) -> str:
    if errors:
        return "; ".join(f"{field}: {message}" for field, message in errors.items())
    if payments_unset:
        return "choose the account paid orders' payments go into"
    return "sales, shipping and payment accounts chosen"


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


def synced_per_day(store_id: int, timezone: str, days: int = 30) -> list[DayCount]:
    """Orders whose document was written to Xero, per day of the store's timezone, each
    counted once a day however often written, for the last `days` days (today included).
    The database gives each order's UTC hours (days begin at another hour in each timezone,
    and move with daylight saving); the days are made here, from at most `days` days of
    rows."""
    zone = ZoneInfo(timezone)
    today = utcnow().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), zone)
    hour = _hour(SyncRecord.started_at)
    rows = db.session.execute(
        sa.select(hour, SyncRecord.woo_id)
        .where(*usage.documents_written(store_id), SyncRecord.started_at >= start)
        .distinct()
    ).all()
    orders: dict[date, set[str]] = {first + timedelta(days=offset): set() for offset in range(days)}
    for hour_start, woo_id in rows:
        day = _as_utc_hour(hour_start).astimezone(zone).date()
        if day in orders:
            orders[day].add(woo_id)
    return [DayCount(day, len(ids)) for day, ids in orders.items()]


def _hour(column: sa.ColumnElement[datetime]) -> sa.ColumnElement[str]:
    """The UTC hour a moment falls in, as text ("2026-12-03 09"), in either database."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return sa.func.strftime("%Y-%m-%d %H", column)


def _as_utc_hour(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=ZoneInfo("UTC"))


@dataclass(frozen=True)
class LastDay:
    synced: int  # orders written to Xero in the last 24 hours
    held: int  # orders waiting for a person (now)
    failed: int  # orders Xero refused (now)
    waiting: int  # orders waiting for the store's setup, or on their way (now)


@dataclass(frozen=True)
class OrderCounts:
    held: int = 0  # orders waiting for a person
    failed: int = 0  # orders Xero refused
    waiting: int = 0  # orders waiting for the store's setup, or on their way


def order_counts(store_ids: list[int]) -> dict[int, OrderCounts]:
    """Each store's orders held, failed and on their way now, in one grouped query over
    the outbox's (store, status) index; the orders done are not counted."""
    rows = db.session.execute(
        sa.select(OutboxEntry.store_id, OutboxEntry.status, sa.func.count(OutboxEntry.id))
        .where(
            OutboxEntry.store_id.in_(store_ids),
            OutboxEntry.status.in_((OutboxStatus.HELD, OutboxStatus.FAILED, *MOVING)),
        )
        .group_by(OutboxEntry.store_id, OutboxEntry.status)
    ).all()
    counts: dict[int, dict[OutboxStatus, int]] = {store_id: {} for store_id in store_ids}
    for store_id, status, count in rows:
        counts[store_id][status] = int(count)
    return {
        store_id: OrderCounts(
            held=by_status.get(OutboxStatus.HELD, 0),
            failed=by_status.get(OutboxStatus.FAILED, 0),
            waiting=sum(by_status.get(status, 0) for status in MOVING),
        )
        for store_id, by_status in counts.items()
    }


def last_day(store_id: int) -> LastDay:
    now = utcnow()
    synced = usage.orders_synced(store_id, now - timedelta(hours=24), now + timedelta(seconds=1))
    counts = order_counts([store_id])[store_id]
    return LastDay(synced=synced, held=counts.held, failed=counts.failed, waiting=counts.waiting)


class Fix(enum.StrEnum):
    """The action that makes an alert go away."""

    REAUTHORISE_XERO = "reauthorise_xero"
    CHOOSE_ORGANISATION = "choose_organisation"
    RECONNECT_WOOCOMMERCE = "reconnect_woocommerce"
    REPAIR_WEBHOOKS = "repair_webhooks"
    MAP_TAX = "map_tax"
    REVIEW_ORDERS = "review_orders"
    SUBSCRIPTION = "subscription"


@dataclass(frozen=True)
class Alert:
    level: str  # WordPress's notice kinds: "error", "warning", "info"
    message: str
    fix: Fix


def alerts(
    store_id: int,
    settings: StoreSettings,
    status: TaxMappingStatus,
    xero: XeroConnection | None,
    woo: WooConnection | None,
    today: LastDay,
) -> list[Alert]:
    unmapped = ""
    if settings.modules.tax_rates and not status.complete:
        unmapped = status.describe() or "some rates have no Xero tax type"
    subscription = usage.subscription_of(store_id)
    return standing_alerts(
        xero,
        woo,
        disabled_webhooks([store_id]).get(store_id, 0),
        today,
        subscription,
        entitlement.of(store_id, subscription, utcnow()),
        unmapped_tax=unmapped,
    )


def standing_alerts(
    xero: XeroConnection | None,
    woo: WooConnection | None,
    disabled: int,
    orders: OrderCounts | LastDay,
    subscription: Subscription | None,
    allowed: Entitlement,
    unmapped_tax: str = "",
) -> list[Alert]:
    """The alerts from what is already read: the Overview's, and the operators' list of
    stores (which reads these for a page of stores at once, and leaves the tax mapping to
    the store's Overview: `unmapped_tax` "")."""
    found: list[Alert] = []
    if xero is not None and xero.status == ConnectionStatus.NEEDS_REAUTHORISATION:
        reason = f" Xero said: {xero.status_reason}" if xero.status_reason else ""
        found.append(Alert("error", f"Xero needs you to sign in again.{reason}",
                           Fix.REAUTHORISE_XERO))  # fmt: skip
    elif xero is not None and xero.status == ConnectionStatus.CHOOSING_ORGANISATION:
        found.append(Alert("warning", "Choose which Xero organisation this store's orders go to.",
                           Fix.CHOOSE_ORGANISATION))  # fmt: skip
    if woo is not None and woo.status in (ConnectionStatus.NEEDS_REAUTHORISATION,
                                          ConnectionStatus.ERROR):  # fmt: skip
        reason = woo.status_reason or "the store refused wooxero's keys"
        found.append(Alert("error", f"WooCommerce access stopped working: {reason}.",
                           Fix.RECONNECT_WOOCOMMERCE))  # fmt: skip
    if disabled:
        found.append(Alert(
            "warning",
            f"WooCommerce turned off {disabled} of wooxero's webhooks after failed deliveries; "
            "orders are still found by polling, later.",
            Fix.REPAIR_WEBHOOKS,
        ))  # fmt: skip
    if unmapped_tax:
        found.append(Alert("warning", f"Unmapped tax: {unmapped_tax}.", Fix.MAP_TAX))
    if orders.failed or orders.held:
        found.append(Alert(
            "error" if orders.failed else "warning",
            " and ".join(
                f"{count} order{'' if count == 1 else 's'} {verb}"
                for count, verb in ((orders.failed, "failed"), (orders.held, "held"))
                if count
            ).capitalize() + ": each says why, and waits for you.",
            Fix.REVIEW_ORDERS,
        ))  # fmt: skip
    if subscription is not None:
        found.extend(_subscription_alerts(subscription, allowed))
    return found


def _subscription_alerts(subscription: Subscription, allowed: Entitlement) -> list[Alert]:
    if not allowed.entitled:
        return [Alert(
            "error",
            f"Nothing is being sent to Xero: {allowed.reason}. Orders are kept and go, "
            "in order, as soon as syncing can resume.",
            Fix.SUBSCRIPTION,
        )]  # fmt: skip
    days = usage.trial_days_left(subscription, utcnow())
    if days is not None and days <= TRIAL_ENDING_DAYS:
        return [Alert("warning", f"Your trial ends in {days} day(s).", Fix.SUBSCRIPTION)]
    if subscription.status == SubscriptionStatus.PAST_DUE:
        return [Alert("error", "Your last payment failed: update your card on the Subscription "
                      "page before the subscription is canceled.", Fix.SUBSCRIPTION)]  # fmt: skip
    return []


def recent_activity(store_id: int, limit: int = 8) -> list[SyncRecord]:
    return list(
        db.session.scalars(
            sa.select(SyncRecord)
            .where(SyncRecord.store_id == store_id)
            .order_by(SyncRecord.started_at.desc(), SyncRecord.id.desc())
            .limit(limit)
        )
    )

"""One round of the periodic check: find the conditions, record their occurrences, send what
is due. Each step commits before the next; messages are sent with no transaction open, and
one that cannot be sent waits for the next round."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server.extensions import current_config, db
from server.locks import kept
from server.models import Audience, Notification, Store
from server.models.types import utcnow
from server.notifications import conditions, ledger, mailer, messages
from server.redis_client import get_redis
from server.stores.settings import storage

logger = logging.getLogger("server.notifications")


@dataclass(frozen=True)
class CheckResult:
    opened: int  # new occurrences
    resolved: int  # occurrences whose condition cleared
    sent: int  # messages sent (or logged)
    failed: int  # messages that could not be sent: their occurrences wait

    def __str__(self) -> str:
        return (
            f"{self.opened} new, {self.resolved} cleared, {self.sent} messages sent, "
            f"{self.failed} failed"
        )


LOCK = "wooxero:notifications:check"


def run(now: datetime | None = None) -> CheckResult:
    """One round; a round already running elsewhere makes this one do nothing, so two
    checks started together never tell the same occurrence twice."""
    with kept(get_redis(), LOCK) as taken:
        if not taken:
            return CheckResult(0, 0, 0, 0)
        return _round(now or utcnow())


def _round(now: datetime) -> CheckResult:
    settings = current_config()
    found = conditions.find(
        now,
        settings.notifications.problem_orders,
        settings.woocommerce.webhook_check_minutes,
    )
    store_ids = {condition.store_id for condition in found}
    recipients: dict[int, str] = {
        store_id: address
        for store_id, address in db.session.execute(
            sa.select(Store.id, Store.admin_email).where(Store.id.in_(store_ids))
        )
    }
    change = ledger.record(found, storage.notification_switches(store_ids), recipients, now)
    db.session.commit()
    batches = ledger.claim(now)
    outgoing = [(_message(rows), [row.id for row in rows]) for rows in batches]
    db.session.commit()
    sent = failed = 0
    for message, ids in outgoing:
        try:
            mailer.send(message, settings.email)
            sent += 1
        except mailer.MailError as error:
            logger.warning("email %r not sent, kept for the next check: %s", message.subject, error)
            ledger.release(ids)
            db.session.commit()
            failed += 1
    return CheckResult(len(change.opened), len(change.resolved), sent, failed)


def _message(rows: list[Notification]) -> messages.Message:
    """The message telling `rows` (one recipient's), with its addresses."""
    settings = current_config()
    stores = {
        store.id: store
        for store in db.session.scalars(
            sa.select(Store).where(Store.id.in_({row.store_id for row in rows}))
        )
    }
    items = []
    for row in rows:
        store = stores[row.store_id]
        link = (
            messages.store_link(store.url, store.admin_url, row.kind)
            if row.audience == Audience.STORE
            else messages.operator_link(settings.public_url, store.id)
        )
        items.append(messages.Item(row.kind, row.audience, str(store), row.detail, link))
    first = rows[0]
    if first.audience == Audience.OPERATORS:
        to = tuple(settings.email.operators)
    else:
        to = (first.recipient,) if first.recipient else ()
    return messages.compose(to, items)

"""Each occurrence told once, and never a flood: the rows of `Notification`, opened when a
condition appears, resolved when it clears (a return is another occurrence), and claimed
for a message by this rule, per recipient:

- nothing written to them in the last `DIGEST_WINDOW`: everything waiting goes now, in one
  message (a digest when there are several);
- otherwise what appeared since waits for the window to end, and then goes in one digest.

An occurrence resolved before it was told is never told. The decisions are pure
(`occurrences`, `due`); `record` and `claim` apply them to the table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.extensions import db
from server.models import Audience, Notification, NotificationKind
from server.notifications.conditions import AUDIENCES, Condition
from server.stores.settings.schema import Notifications

DIGEST_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Slot:
    """Where one occurrence at a time can be open: a store's condition, for one audience."""

    store_id: int
    kind: NotificationKind
    audience: Audience


@dataclass(frozen=True)
class Occurrences:
    resolved: frozenset[Slot]  # open occurrences whose condition is gone (or is another one)
    opened: tuple[tuple[Slot, Condition], ...]  # new occurrences
    ongoing: tuple[tuple[Slot, Condition], ...]  # still there: their facts may have moved


def wanted(
    conditions: Iterable[Condition], switches: Mapping[int, Notifications]
) -> dict[Slot, Condition]:
    """The slots the conditions fill: each of its kind's audiences, but the store's admin
    only for the kinds the store has left on."""
    slots = {}
    for condition in conditions:
        for audience in AUDIENCES[condition.kind]:
            store_off = audience == Audience.STORE and not getattr(
                switches.get(condition.store_id, Notifications()), condition.kind.value
            )
            if not store_off:
                slots[Slot(condition.store_id, condition.kind, audience)] = condition
    return slots


def occurrences(open_keys: Mapping[Slot, str], now_wanted: Mapping[Slot, Condition]) -> Occurrences:
    """What the conditions found now make of the open occurrences (slot → occurrence key)."""
    resolved = frozenset(
        slot
        for slot, key in open_keys.items()
        if slot not in now_wanted or now_wanted[slot].key not in (None, key)
    )
    opened = tuple(
        (slot, condition)
        for slot, condition in now_wanted.items()
        if slot not in open_keys or slot in resolved
    )
    ongoing = tuple(
        (slot, condition)
        for slot, condition in now_wanted.items()
        if slot in open_keys and slot not in resolved
    )
    return Occurrences(resolved, opened, ongoing)


def record(
    conditions: Iterable[Condition],
    switches: Mapping[int, Notifications],
    recipients: Mapping[int, str],
    now: datetime,
) -> Occurrences:
    """Open and resolve the rows (not committed); `recipients`: each store's admin address."""
    rows = {
        Slot(row.store_id, row.kind, row.audience): row
        for row in db.session.scalars(
            sa.select(Notification).where(Notification.resolved_at.is_(None))
        )
    }
    change = occurrences(
        {slot: row.occurrence_key for slot, row in rows.items()}, wanted(conditions, switches)
    )
    for slot in change.resolved:
        rows[slot].resolved_at = now
    for slot, condition in change.ongoing:
        if rows[slot].sent_at is None:  # not told yet: told as it is when it goes
            rows[slot].detail = condition.detail[:500]
    for slot, condition in change.opened:
        store_address = recipients.get(slot.store_id, "") if slot.audience == Audience.STORE else ""
        db.session.add(
            Notification(
                store_id=slot.store_id,
                kind=slot.kind,
                audience=slot.audience,
                recipient=store_address,
                occurrence_key=condition.key or now.isoformat(timespec="seconds"),
                detail=condition.detail[:500],
                detected_at=now,
            )
        )
    return change


@dataclass(frozen=True)
class Recipient:
    audience: Audience
    address: str  # the store admin's ("" when unknown); "" for the operators


@dataclass(frozen=True)
class Waiting:
    id: int
    recipient: Recipient
    detected_at: datetime


def due(
    waiting: Iterable[Waiting], last_sent: Mapping[Recipient, datetime], now: datetime
) -> list[list[Waiting]]:
    """The messages to send now: per recipient, what waits, unless they were written to
    within the window (then it waits for the window's end, into one digest)."""
    by_recipient: dict[Recipient, list[Waiting]] = {}
    for item in waiting:
        by_recipient.setdefault(item.recipient, []).append(item)
    return [
        sorted(items, key=lambda item: (item.detected_at, item.id))
        for recipient, items in by_recipient.items()
        if recipient not in last_sent or now - last_sent[recipient] >= DIGEST_WINDOW
    ]


def claim(now: datetime) -> list[list[Notification]]:
    """The rows each message due now tells, marked sent (not committed). If another check
    claimed any of them meanwhile, nothing: that check is sending what is due."""
    rows = list(
        db.session.scalars(
            sa.select(Notification).where(
                Notification.sent_at.is_(None), Notification.resolved_at.is_(None)
            )
        )
    )
    if not rows:
        return []
    last_sent = {
        Recipient(audience, address): at
        for audience, address, at in db.session.execute(
            sa.select(
                Notification.audience, Notification.recipient, sa.func.max(Notification.sent_at)
            )
            .where(Notification.sent_at >= now - DIGEST_WINDOW)  # older ones hold nothing back
            .group_by(Notification.audience, Notification.recipient)
        )
    }
    by_id = {row.id: row for row in rows}
    waiting = [Waiting(row.id, _recipient(row), row.detected_at) for row in rows]
    messages = []
    for items in due(waiting, last_sent, now):
        ids = [item.id for item in items]
        claimed = db.session.execute(
            sa.update(Notification)
            .where(Notification.id.in_(ids), Notification.sent_at.is_(None))
            .values(sent_at=now, in_digest=len(ids) > 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != len(ids):
            db.session.rollback()
            return []
        messages.append([by_id[item_id] for item_id in ids])
    return messages


def release(ids: Iterable[int]) -> None:
    """Rows whose message could not be sent wait again (not committed)."""
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(list(ids)))
        .values(sent_at=None, in_digest=False)
    )


def _recipient(row: Notification) -> Recipient:
    return Recipient(row.audience, row.recipient if row.audience == Audience.STORE else "")

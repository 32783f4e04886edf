"""Order life cycle shared by the REST API and ``/_sandbox``: status moves, notes, trash.

Sourced: paid statuses (processing, completed) set ``date_paid`` once, ``completed`` sets
``date_completed``; each status change adds the system note "Order status changed from X to
Y."; trashing remembers the status and untrashing restores it (``_wp_trash_meta_status``).
Topics: new order → order.created, any save → order.updated, trash → order.deleted,
untrash → order.restored, permanent deletion → no webhook.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime

from .database import Store
from .models import Note, Order

STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
    "trash": "Trash",
}
PAID_STATUSES = ("processing", "completed")
_KEY_ALPHABET = string.ascii_letters + string.digits


def order_key() -> str:
    """``wc_generate_order_key``: ``wc_order_`` and 13 letters or digits."""
    return "wc_order_" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(13))


def add_note(
    store: Store,
    order: Order,
    content: str,
    author: str = "system",
    customer_note: bool = False,
    when: datetime | None = None,
) -> Note:
    """Attach a note to an order."""
    with store.lock:
        note = Note(
            store.next_comment_id(), order.id, author, when or store.now(), content, customer_note
        )
        store.notes[note.id] = note
        return note


def set_status(store: Store, order: Order, status: str, when: datetime | None = None) -> None:
    """Move an order to ``status`` with WooCommerce's side effects (no save event)."""
    moment = when or store.now()
    old = order.status
    if old == status:
        return
    order.status = status
    if status in PAID_STATUSES and order.date_paid is None:
        order.date_paid = moment
    if status == "completed":
        order.date_completed = moment
    if status in PAID_STATUSES and order.customer_id in store.customers:
        store.customers[order.customer_id].is_paying_customer = True
    add_note(
        store,
        order,
        f"Order status changed from {STATUS_LABELS.get(old, old)} to "
        f"{STATUS_LABELS.get(status, status)}.",
        when=moment,
    )


def saved(store: Store, order: Order, event: str = "updated") -> None:
    """Stamp ``date_modified`` and announce the save."""
    order.date_modified = store.now()
    store.emit("order", event, order.id)


def trash(store: Store, order: Order) -> None:
    """Move an order to the trash (``order.deleted``)."""
    store.trash("order", order)


def untrash(store: Store, order: Order) -> None:
    """Restore a trashed order to its previous status (``order.restored``)."""
    store.untrash("order", order, "pending")


def delete(store: Store, order: Order) -> None:
    """Delete an order, its refunds and notes for good (no webhook topic)."""
    for refund_id in order.refund_ids:
        store.refunds.pop(refund_id, None)
    for note_id in [n.id for n in store.notes.values() if n.order_id == order.id]:
        del store.notes[note_id]
    del store.orders[order.id]

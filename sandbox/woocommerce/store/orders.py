"""Order life cycle shared by the REST API and ``/_sandbox``: status moves, notes, trash.

Sourced (``WC_Order::set_status``, ``maybe_set_date_paid``, ``maybe_set_date_completed``):
``date_paid`` is set once, when the order reaches the status a completed payment leads to
(``woocommerce_payment_complete_order_status``: processing when it needs processing, else
completed; the COD gateway's filter makes it completed for ``cod`` orders), or reaches
completed when that status is processing; ``completed`` sets ``date_completed``; each status
change adds the system note "[gateway note ]Order status changed from X to Y."; trashing
remembers the status and untrashing restores it (``_wp_trash_meta_status``). Topics: new
order → order.created, any save → order.updated, trash → order.deleted, untrash →
order.restored, permanent deletion → no webhook. Assumed: the gateways are loaded whenever
a status changes (they are in wp-admin and at checkout), so the COD filter always applies.
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
NEEDS_PAYMENT = ("pending", "failed")
"""``woocommerce_valid_order_statuses_for_payment``."""
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


def needs_processing(store: Store, order: Order) -> bool:
    """``WC_Order::needs_processing``: false only when every product line is virtual and
    downloadable."""
    for item in order.line_items:
        product = store.products.get(item.variation_id or item.product_id)
        if product is None or not (product.virtual and product.downloadable):
            return True
    return False


def needs_payment(order: Order) -> bool:
    """``WC_Order::needs_payment``: pending or failed, with a total above zero."""
    return order.status in NEEDS_PAYMENT and order.total > 0


def payment_complete_status(store: Store, order: Order) -> str:
    """``woocommerce_payment_complete_order_status``: processing or completed as the order
    needs processing; completed for ``cod``
    (``WC_Gateway_COD::change_payment_complete_order_status``)."""
    if order.payment_method == "cod" or not needs_processing(store, order):
        return "completed"
    return "processing"


def set_status(
    store: Store, order: Order, status: str, when: datetime | None = None, note: str = ""
) -> None:
    """``WC_Order::set_status`` then the transition's note (no save event); ``note`` is the
    text ``update_status`` puts before "Order status changed …"."""
    moment = when or store.now()
    old = order.status
    if old == status:
        return
    order.status = status
    if order.date_paid is None:
        paid_at = payment_complete_status(store, order)
        if status == paid_at or (paid_at == "processing" and status == "completed"):
            order.date_paid = moment
    if status == "completed":
        order.date_completed = moment
    if status in PAID_STATUSES and order.customer_id in store.customers:
        store.customers[order.customer_id].is_paying_customer = True
    change = (
        f"Order status changed from {STATUS_LABELS.get(old, old)} to "
        f"{STATUS_LABELS.get(status, status)}."
    )
    add_note(store, order, f"{note} {change}".strip(), when=moment)


def saved(store: Store, order: Order, event: str = "updated", when: datetime | None = None) -> None:
    """Stamp ``date_modified`` (now, or ``when`` for generated history) and announce the
    save."""
    order.date_modified = when or store.now()
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

"""Bindings: which Xero record is the one made for a WooCommerce record (see
`server.models.binding`). The kinds of document wooxero writes, and the binding queries
that planning, writing, reconciling and the contacts all use — one place, so none of them
needs another's module to ask "what is this order's invoice?" or "this customer's contact?".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.connectors.xero import resources
from server.connectors.xero.resources import DocumentStatus, Resource
from server.extensions import db
from server.models import Binding, BindingKind

# A document in one of these can no longer be edited from here.
FINAL_STATUSES = frozenset(
    {DocumentStatus.PAID, DocumentStatus.VOIDED, DocumentStatus.DELETED, DocumentStatus.INVOICED}
)


@dataclass(frozen=True)
class DocumentKind:
    name: str
    resource: Resource
    binding: BindingKind
    id_field: str
    number_field: str
    params: Mapping[str, Any]


INVOICE = DocumentKind(
    "invoice", resources.INVOICES, BindingKind.INVOICE, "InvoiceID", "InvoiceNumber",
    {"unitdp": 4},
)  # fmt: skip
QUOTE = DocumentKind("quote", resources.QUOTES, BindingKind.QUOTE, "QuoteID", "QuoteNumber", {})
KINDS = {kind.name: kind for kind in (INVOICE, QUOTE)}


def binding_for(store_id: int, kind: BindingKind, woo_id: str) -> Binding | None:
    return db.session.scalar(
        sa.select(Binding).where(
            Binding.store_id == store_id, Binding.kind == kind, Binding.woo_id == woo_id
        )
    )


def bind(
    store_id: int,
    kind: DocumentKind,
    woo_order_id: str,
    element: Mapping[str, Any],
    content_hash: str | None,
) -> Binding:
    """Bind the order to the document Xero answered with (made, updated or found)."""
    binding = binding_for(store_id, kind.binding, woo_order_id)
    if binding is None:
        binding = Binding(store_id=store_id, kind=kind.binding, woo_id=woo_order_id)
        db.session.add(binding)
    binding.xero_id = str(element[kind.id_field])
    binding.xero_number = str(element.get(kind.number_field) or binding.xero_number)
    binding.xero_status = str(element.get("Status") or binding.xero_status)
    if content_hash is not None:
        binding.content_hash = content_hash
    return binding


def not_editable(binding: Binding, xero_says: str = "") -> str:
    """The warning for an order that changed after its document became final in Xero."""
    because = f" ({xero_says})" if xero_says else ""
    return (
        f"order changed, but {binding.xero_number} is {binding.xero_status or 'final'} in Xero "
        f"and can no longer be edited{because}; change it in Xero by hand or credit it"
    )


# -- contacts ------------------------------------------------------------------------------


def contact_binding_key(customer_key: str) -> str:
    """The binding's woo_id for a customer key (long guest emails are hashed to fit)."""
    if len(customer_key) <= 64:
        return customer_key
    return "h:" + hashlib.sha256(customer_key.encode()).hexdigest()[:62]


def bound_contacts(store_id: int, customer_keys: Iterable[str]) -> dict[str, str]:
    """The ContactIDs the given customers are bound to (unbound ones are absent)."""
    by_binding = {contact_binding_key(key): key for key in customer_keys}
    rows = db.session.execute(
        sa.select(Binding.woo_id, Binding.xero_id).where(
            Binding.store_id == store_id,
            Binding.kind == BindingKind.CONTACT,
            Binding.woo_id.in_(list(by_binding)),
            Binding.xero_id.is_not(None),
        )
    )
    return {by_binding[woo_id]: xero_id for woo_id, xero_id in rows}


def bound_contact(store_id: int, customer_key: str) -> str | None:
    """The ContactID a customer is bound to, if any."""
    return bound_contacts(store_id, [customer_key]).get(customer_key) if customer_key else None


def bind_contact(store_id: int, customer_key: str, contact: Mapping[str, Any]) -> None:
    woo_id = contact_binding_key(customer_key)
    binding = binding_for(store_id, BindingKind.CONTACT, woo_id)
    if binding is None:
        binding = Binding(store_id=store_id, kind=BindingKind.CONTACT, woo_id=woo_id)
        db.session.add(binding)
    binding.xero_id = str(contact["ContactID"])
    binding.xero_number = str(contact.get("Name") or "")[:255]
    binding.xero_status = "ACTIVE"


def forget_contact(store_id: int, customer_key: str) -> None:
    """Drop a customer's contact binding (Xero refused the contact): it is found or made
    again next time."""
    db.session.execute(
        sa.delete(Binding).where(
            Binding.store_id == store_id,
            Binding.kind == BindingKind.CONTACT,
            Binding.woo_id == contact_binding_key(customer_key),
        )
    )

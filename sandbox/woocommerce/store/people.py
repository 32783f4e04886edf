"""Customer changes shared by the REST API and ``/_sandbox`` (each fires its topic)."""

from __future__ import annotations

from typing import Any

from .database import Store
from .models import Customer


def create(store: Store, email: str, first: str, last: str, username: str = "") -> Customer:
    """Register a customer (``customer.created``)."""
    now = store.now()
    taken = {c.username for c in store.customers.values()}
    base = username or email.split("@", 1)[0].lower()
    login, suffix = base, 1
    while login in taken:
        suffix += 1
        login = f"{base}{suffix}"
    customer = Customer(store.next_user_id(), email, first, last, login, now, now)
    customer.billing.update(first_name=first, last_name=last, email=email)
    customer.shipping.update(first_name=first, last_name=last)
    store.customers[customer.id] = customer
    store.emit("customer", "created", customer.id)
    return customer


def update(store: Store, customer: Customer, changes: dict[str, Any]) -> None:
    """Apply profile changes (``customer.updated``)."""
    for name in ("email", "first_name", "last_name"):
        if changes.get(name) is not None:
            setattr(customer, name, str(changes[name]))
    for kind in ("billing", "shipping"):
        values = changes.get(kind)
        if isinstance(values, dict):
            target = getattr(customer, kind)
            for key, value in values.items():
                if key in target and value is not None:
                    target[key] = str(value)
    for entry in changes.get("meta_data") or []:
        if isinstance(entry, dict) and "key" in entry:
            existing = next((m for m in customer.meta if m.key == entry["key"]), None)
            if existing is None:
                customer.meta.append(store.meta(str(entry["key"]), entry.get("value")))
            else:
                existing.value = entry.get("value")
    customer.date_modified = store.now()
    store.emit("customer", "updated", customer.id)


def delete(store: Store, customer: Customer) -> None:
    """Delete the user (``customer.deleted``); their orders keep the customer id."""
    del store.customers[customer.id]
    store.emit("customer", "deleted", customer.id)

"""Contacts against the Xero sandbox: a big batch fills the store's copy of the
organisation's contacts, after which a batch costs one read of changes however many
customers it has; contacts made, edited or archived in Xero after the fill are found (none
made twice), archived ones restored; small batches and too-big organisations keep the
`where` lookups; a contact made between the lookup and the create is bound. The sandbox
counts Xero's requests."""

from __future__ import annotations

import math
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.connectors.xero.client import MAX_PAGE_SIZE, XeroClient
from server.extensions import db
from server.models import Binding, BindingKind, ContactIndex, Store
from server.push import contacts
from tests.support.xero import calls, objects, tenants

NZ = "Demo Company (NZ)"
BIG_BATCH = 50  # too many customers for one `where` lookup


def _client(store: Store) -> XeroClient:
    client = xero_access.client_for(xero_access.connection_for_store(store.id))
    db.session.commit()
    return client


def _customers(first: int, count: int) -> dict[str, dict[str, Any]]:
    """Customer key → the contact to make, for customers Xero has never seen."""
    return {
        f"customer:{n}": {"Name": f"Cached{n} Customer", "ContactNumber": str(n),
                          "EmailAddress": f"cached.customer{n}@example.com"}
        for n in range(first, first + count)
    }  # fmt: skip


def _requests(sandbox: Any, tenant_id: str, label: str) -> int:
    return int(calls(sandbox).get(tenant_id, {}).get("calls", {}).get(label, 0))


def _with_email(sandbox: Any, tenant_id: str, email: str) -> list[dict[str, Any]]:
    return [c for c in objects(sandbox, tenant_id, "Contacts")
            if str(c.get("EmailAddress") or "").lower() == email.lower()]  # fmt: skip


def _xero_write(client: XeroClient, method: str, contact: dict[str, Any]) -> dict[str, Any]:
    """Someone working in Xero (not wooxero's flow) makes or changes a contact."""
    return client.write(method, resources.CONTACTS.path, {"Contacts": [contact]}).data["Contacts"][
        0
    ]


def test_a_batch_costs_one_lookup_once_the_copy_is_filled(
    synced_store: Store, sandbox: Any, app_context: Flask
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    client = _client(synced_store)
    existing = len(objects(sandbox, tenant_id, "Contacts"))
    reads, creates = (_requests(sandbox, tenant_id, m + " /Contacts") for m in ("GET", "PUT"))

    first = contacts.resolve(synced_store.id, client, _customers(1000, BIG_BATCH))

    assert len(first.contact_ids) == BIG_BATCH and not first.failures
    fill_pages = max(1, math.ceil(existing / MAX_PAGE_SIZE))
    assert _requests(sandbox, tenant_id, "GET /Contacts") - reads == fill_pages
    reads = _requests(sandbox, tenant_id, "GET /Contacts")

    second = contacts.resolve(synced_store.id, client, _customers(2000, BIG_BATCH))

    assert len(second.contact_ids) == BIG_BATCH and not second.failures
    assert _requests(sandbox, tenant_id, "GET /Contacts") - reads == 1
    writes = math.ceil(BIG_BATCH / resources.BATCH_WRITE_SIZE)
    assert _requests(sandbox, tenant_id, "PUT /Contacts") - creates == 2 * writes
    made = {c["ContactID"] for c in objects(sandbox, tenant_id, "Contacts")}
    assert set(second.contact_ids.values()) <= made
    assert len(set(first.contact_ids.values()) | set(second.contact_ids.values())) == 2 * BIG_BATCH


def test_contacts_made_edited_or_archived_in_xero_after_the_fill_are_used(
    synced_store: Store, sandbox: Any, app_context: Flask
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    client = _client(synced_store)
    seeded = _xero_write(client, "PUT", {"Name": "Customer Before The Fill"})
    contacts.resolve(synced_store.id, client, _customers(1000, BIG_BATCH))  # fills the copy
    batch = _customers(3000, BIG_BATCH)
    made_key, edited_key, archived_key = "customer:3000", "customer:3001", "customer:3002"
    made = _xero_write(
        client,
        "PUT",
        {"Name": "Made In Xero", "EmailAddress": batch[made_key]["EmailAddress"].upper()},
    )
    _xero_write(
        client,
        "POST",
        {"ContactID": seeded["ContactID"], "EmailAddress": batch[edited_key]["EmailAddress"]},
    )
    archived = _xero_write(client, "PUT", {"Name": "Archived In Xero", "ContactNumber": "3002"})
    _xero_write(client, "POST", {"ContactID": archived["ContactID"], "ContactStatus": "ARCHIVED"})
    db.session.commit()
    reads = _requests(sandbox, tenant_id, "GET /Contacts")

    result = contacts.resolve(synced_store.id, client, batch)

    assert _requests(sandbox, tenant_id, "GET /Contacts") - reads == 1
    assert result.contact_ids[made_key] == made["ContactID"]
    assert result.contact_ids[edited_key] == seeded["ContactID"]
    assert result.contact_ids[archived_key] == archived["ContactID"]
    stored = {c["ContactID"]: c for c in objects(sandbox, tenant_id, "Contacts")}
    assert stored[archived["ContactID"]]["ContactStatus"] == "ACTIVE"
    for key in (made_key, edited_key):
        assert len(_with_email(sandbox, tenant_id, batch[key]["EmailAddress"])) == 1


def test_a_small_batch_without_a_copy_is_looked_up_with_where(
    synced_store: Store, sandbox: Any, app_context: Flask
) -> None:
    tenant_id = tenants(sandbox)[NZ]
    client = _client(synced_store)
    batch = _customers(4000, 5)
    seeded = _xero_write(client, "PUT", {"Name": "Customer Before"})
    _xero_write(
        client,
        "POST",
        {"ContactID": seeded["ContactID"], "EmailAddress": batch["customer:4000"]["EmailAddress"]},
    )
    db.session.commit()
    reads = _requests(sandbox, tenant_id, "GET /Contacts")

    result = contacts.resolve(synced_store.id, client, batch)

    assert _requests(sandbox, tenant_id, "GET /Contacts") - reads == 1  # one `where` lookup
    assert result.contact_ids["customer:4000"] == seeded["ContactID"]
    assert db.session.scalar(sa.select(sa.func.count(ContactIndex.id))) == 0


def test_an_organisation_too_big_to_copy_keeps_where_lookups(
    synced_store: Store, sandbox: Any, app_context: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts, "MAX_INDEXED_PAGES", 0)  # a page of contacts is too many
    tenant_id = tenants(sandbox)[NZ]
    client = _client(synced_store)
    _xero_write(client, "PUT", {"Name": "Customer Before"})
    db.session.commit()
    batch = _customers(5000, BIG_BATCH)
    terms = {(f, v.lower()) for spec in batch.values()
             for f, v in spec.items() if f in ("ContactNumber", "EmailAddress")}  # fmt: skip
    lookups = len(contacts._where_clauses(sorted(terms)))
    reads = _requests(sandbox, tenant_id, "GET /Contacts")

    first = contacts.resolve(synced_store.id, client, batch)
    assert _requests(sandbox, tenant_id, "GET /Contacts") - reads == 1 + lookups  # counted once
    reads = _requests(sandbox, tenant_id, "GET /Contacts")
    again = contacts.resolve(synced_store.id, client, _customers(6000, BIG_BATCH))

    assert _requests(sandbox, tenant_id, "GET /Contacts") - reads == lookups
    assert len(first.contact_ids) == len(again.contact_ids) == BIG_BATCH
    index = db.session.scalars(sa.select(ContactIndex)).one()
    assert index.filled_at is None


KEY = "customer:142"
SPEC = {"Name": "Mia Chen", "ContactNumber": "142", "EmailAddress": "mia.chen140@example.com"}
NEIGHBOUR = {"Name": "Noah Martin", "ContactNumber": "95", "EmailAddress": "noah@example.com"}


def test_a_contact_made_between_the_lookup_and_the_create_is_bound_not_refused(
    synced_store: Store, sandbox: Any, monkeypatch
) -> None:
    """A flush running beside this one (Redis lost the store's lock) makes the customer's
    contact after this one looked for it: Xero refuses the second one's number, and the
    contact is found by it and bound instead of the order failing."""
    connection = xero_access.connection_for_store(synced_store.id)
    assert connection is not None
    client = xero_access.client_for(connection)
    looked_up = contacts._lookup
    made: list[str] = []

    def lookup_then_the_other_flush_creates(client: Any, terms: Any) -> dict:
        found = looked_up(client, terms)
        if not made:
            batch = [SPEC, NEIGHBOUR]  # the other flush's batch: another Idempotency-Key
            for results in write_batches(client, resources.CONTACTS, batch, method="PUT"):
                made.extend(outcome.element["ContactID"] for outcome in results)
        return found

    monkeypatch.setattr(contacts, "_lookup", lookup_then_the_other_flush_creates)

    result = contacts.resolve(synced_store.id, client, {KEY: SPEC})

    assert result.failures == {}
    assert result.contact_ids == {KEY: made[0]}
    tenant_id = tenants(sandbox)["Demo Company (NZ)"]
    numbered = [c["ContactID"] for c in objects(sandbox, tenant_id, "Contacts")
                if c.get("ContactNumber") == "142"]  # fmt: skip
    assert numbered == made[:1]
    bound = db.session.scalars(
        sa.select(Binding.xero_id).where(Binding.kind == BindingKind.CONTACT)
    ).all()
    assert bound == made[:1]

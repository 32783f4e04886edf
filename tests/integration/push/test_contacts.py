"""Contacts found or made in Xero for the orders being sent."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from server.connections.xero import access as xero_access
from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.extensions import db
from server.models import Binding, BindingKind, Store
from server.push import contacts
from tests.support.xero import objects, tenants

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
    looked_up = contacts._find
    made: list[str] = []

    def lookup_then_the_other_flush_creates(client: Any, missing: Any) -> dict:
        found = looked_up(client, missing)
        if not made:
            batch = [SPEC, NEIGHBOUR]  # the other flush's batch: another Idempotency-Key
            for results in write_batches(client, resources.CONTACTS, batch, method="PUT"):
                made.extend(outcome.element["ContactID"] for outcome in results)
        return found

    monkeypatch.setattr(contacts, "_find", lookup_then_the_other_flush_creates)

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

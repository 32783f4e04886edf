"""Xero contacts for the customers of the orders being sent: bound ones cost nothing; the
rest are matched by ContactNumber (the WooCommerce customer id) and by email
(case-insensitively, archived ones too), a number's match winning, and the ones still
missing created in batches.
Matching uses the store's copy of the organisation's contacts (`ContactIndex`) when it has
one, brought current first with one If-Modified-Since read; else `where` lookups, about 20
customers a call. A batch too big for one lookup fills the copy, unless the organisation has
more than MAX_INDEXED_PAGES pages of contacts (then lookups stay the cheaper way).
A name another contact has is made unique as "Name (email)"; an archived match is restored;
a contact made meanwhile under the customer's number is found and bound. Only customers with
orders reach here, and nothing is ever deleted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

import sqlalchemy as sa

from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.connectors.xero.client import XeroClient
from server.extensions import db
from server.models import ContactIndex, IndexedContact
from server.models.types import utcnow
from server.push.bindings import bind_contact, bound_contacts

# Xero answers 404 to a URL of more than about 2,100 characters (XeroAPI/xero-node#404,
# Xero-NetStandard#471): a lookup's `where`, URL-encoded, stays under this.
MAX_WHERE_CHARS = 1900
LOOKUP_FIELDS = ("ContactNumber", "EmailAddress", "Name")  # in the order a match counts
NAME_TAKEN = "contact name"  # "The contact name X is already assigned to another contact"
NUMBER_TAKEN = "contact number"  # "The contact number N is already assigned to another contact."
SHARED_GUESTS = "guest:shared"
# An organisation is copied whole only if that costs at most this many reads (1000 contacts
# each): the copy must pay for itself against `where` lookups (a call per ~20 customers).
MAX_INDEXED_PAGES = 20
# Reads of changes start this much before the newest UpdatedDateUTC held, so a contact Xero
# stamped just before one already read, but committed after that read, is not missed.
CHANGES_OVERLAP = timedelta(minutes=1)


@dataclass
class Resolution:
    contact_ids: dict[str, str] = field(default_factory=dict)  # customer key → ContactID
    failures: dict[str, str] = field(default_factory=dict)  # customer key → Xero's reason


def resolve(
    store_id: int, client: XeroClient, wanted: Mapping[str, Mapping[str, Any]]
) -> Resolution:
    """ContactIDs for every customer key in `wanted` (key → contact payload to create)."""
    result = Resolution()
    bound = bound_contacts(store_id, wanted)
    result.contact_ids.update(bound)
    missing = {key: spec for key, spec in wanted.items() if key not in bound}
    if not missing:
        return result
    values = _wanted_values(missing)
    terms = _terms(values)
    index = _current_index(store_id, client, terms)
    matches = _indexed_matches(index, terms) if index else _lookup(client, terms)
    found = _find(missing, values, matches)
    archived = [contact for contact in found.values() if _archived(contact)]
    not_restored = _restore(client, archived)
    if index is not None:
        restored = [c for c in archived if c["ContactID"] not in not_restored]
        _keep(index.id, [{**c, "ContactStatus": "ACTIVE"} for c in restored])
    replaced: set[str] = set()
    for key, contact in list(found.items()):
        if contact["ContactID"] in not_restored:
            del found[key]  # made anew below, under a name of its own if need be
            replaced.add(key)
            continue
        bind_contact(store_id, key, contact)
        result.contact_ids[key] = contact["ContactID"]
    db.session.commit()
    to_create = {
        key: _without_number(spec) if key in replaced else spec
        for key, spec in missing.items()
        if key not in found
    }
    _create(store_id, client, to_create, result, index.id if index else None)
    return result


def _wanted_values(missing: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Customer key → the values it is looked up by, in the order of LOOKUP_FIELDS."""
    return {
        key: {field_name: value for field_name in LOOKUP_FIELDS
              if (value := _lookup_value(field_name, key, spec))}
        for key, spec in missing.items()
    }  # fmt: skip


def _terms(values: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    """Every (field, value) the customers are looked up by, once each."""
    return sorted({term for by_field in values.values() for term in by_field.items()})


def _find(
    missing: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Mapping[str, str]],
    matches: Mapping[tuple[str, str], list[dict[str, Any]]],
) -> dict[str, dict]:
    """Existing contacts by ContactNumber (the customer id), else by email, else (the shared
    guest contact) by name."""
    found: dict[str, dict[str, Any]] = {}
    for key, by_field in values.items():
        for field_name, value in by_field.items():  # in the order of LOOKUP_FIELDS
            candidates = [c for c in matches.get((field_name, value.lower()), [])
                          if _may_be(c, missing[key])]  # fmt: skip
            if candidates:
                found[key] = _best(candidates, missing[key])
                break
    return found


def _may_be(contact: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    """A contact numbered for another customer is never this customer's, whatever its
    email (two customers may share one)."""
    theirs = str(contact.get("ContactNumber") or "")
    ours = str(spec.get("ContactNumber") or "")
    return not (theirs and ours and theirs != ours)


def _lookup_value(field_name: str, key: str, spec: Mapping[str, Any]) -> str:
    if field_name == "Name":  # only the shared guest contact is found by its name
        return str(spec["Name"]) if key == SHARED_GUESTS else ""
    return str(spec.get(field_name) or "").lower()


def _lookup(client: XeroClient, terms: list[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
    """(field, lower-cased value) → the contacts that have it, for every term; the terms are
    OR'd in as few calls as the length of a query allows."""
    return _by_value(
        contact
        for where in _where_clauses(terms)
        for contact in client.iterate(resources.CONTACTS, {"where": where, "includeArchived": True})
    )


def _by_value(contacts: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict]]:
    matches: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for contact in contacts:
        for field_name in LOOKUP_FIELDS:
            value = str(contact.get(field_name) or "").lower()
            if value:
                matches.setdefault((field_name, value), []).append(contact)
    return matches


# -- the copy of the organisation's contacts ---------------------------------------------


def _current_index(
    store_id: int, client: XeroClient, terms: list[tuple[str, str]]
) -> ContactIndex | None:
    """The store's filled copy of the organisation's contacts brought current (one read
    unless more than a page changed), or None where `where` lookups are the way: no copy
    and the terms fit one lookup, or the organisation is too big to copy."""
    index = db.session.scalar(
        sa.select(ContactIndex).where(
            ContactIndex.store_id == store_id, ContactIndex.tenant_id == client.tenant_id
        )
    )
    if index is None:
        if len(_where_clauses(terms)) < 2:
            return None
        index = _fill(store_id, client)
    elif index.filled_at is not None:
        since = index.read_through - CHANGES_OVERLAP if index.read_through else None
        db.session.commit()
        changed = list(
            client.iterate(resources.CONTACTS, {"includeArchived": True}, modified_since=since)
        )
        _keep(index.id, changed, read=True)
    return index if index.filled_at is not None else None


def _fill(store_id: int, client: XeroClient) -> ContactIndex:
    """Read every contact, archived too, into a new copy; an organisation of more than
    MAX_INDEXED_PAGES pages is only counted (its first page read), and not copied."""
    db.session.commit()
    contacts: list[dict[str, Any]] = []
    too_many = False
    for page in client.pages(resources.CONTACTS, {"includeArchived": True}):
        too_many = (page.page_count or 0) > MAX_INDEXED_PAGES
        if too_many:
            break
        contacts.extend(page.items)
    index = ContactIndex(
        store_id=store_id, tenant_id=client.tenant_id, filled_at=None if too_many else utcnow()
    )
    db.session.add(index)
    db.session.flush()
    if not too_many:
        _keep(index.id, contacts, read=True)
    db.session.commit()
    return index


def _keep(index_id: int, contacts: list[dict[str, Any]], *, read: bool = False) -> None:
    """Put contacts Xero gave into the copy (replacing what it held of them). Only `read`
    ones (a read of changes, not the answer to our own write) move `read_through`: a later
    UpdatedDateUTC from our write could hide a contact made in Xero just before it."""
    ids = [str(contact["ContactID"]) for contact in contacts]
    for start in range(0, len(ids), 500):
        db.session.execute(
            sa.delete(IndexedContact).where(
                IndexedContact.index_id == index_id,
                IndexedContact.contact_id.in_(ids[start : start + 500]),
            )
        )
    db.session.add_all(_indexed(index_id, contact) for contact in contacts)
    stamps = [c["UpdatedDateUTC"] for c in contacts
              if isinstance(c.get("UpdatedDateUTC"), datetime)]  # fmt: skip
    index = db.session.get(ContactIndex, index_id)
    if read and stamps and index is not None:
        index.read_through = max([*stamps, *filter(None, [index.read_through])])
    db.session.commit()


def _indexed(index_id: int, contact: Mapping[str, Any]) -> IndexedContact:
    updated = contact.get("UpdatedDateUTC")
    return IndexedContact(
        index_id=index_id,
        contact_id=str(contact["ContactID"]),
        contact_number=str(contact.get("ContactNumber") or "")[:50],
        email=str(contact.get("EmailAddress") or "").lower()[:255],
        name=str(contact.get("Name") or "")[:255],
        status=str(contact.get("ContactStatus") or "ACTIVE")[:24],
        updated_at=updated if isinstance(updated, datetime) else None,
    )


def _indexed_matches(
    index: ContactIndex, terms: list[tuple[str, str]]
) -> dict[tuple[str, str], list[dict]]:
    """What `_lookup` would answer for `terms`, from the copy."""
    wanted: dict[str, list[str]] = {field_name: [] for field_name in LOOKUP_FIELDS}
    for field_name, value in terms:
        wanted[field_name].append(value.lower())
    columns = {
        "ContactNumber": sa.func.lower(IndexedContact.contact_number),
        "EmailAddress": IndexedContact.email,
        "Name": sa.func.lower(IndexedContact.name),
    }
    rows = db.session.scalars(
        sa.select(IndexedContact).where(
            IndexedContact.index_id == index.id,
            sa.or_(*(columns[f].in_(v) for f, v in wanted.items() if v)),
        )
    ).all()
    return _by_value(
        {"ContactID": row.contact_id, "ContactNumber": row.contact_number,
         "EmailAddress": row.email, "Name": row.name, "ContactStatus": row.status}
        for row in rows
    )  # fmt: skip


def _where_clauses(terms: list[tuple[str, str]]) -> list[str]:
    """`Field=="value" OR …` clauses, each short enough once URL-encoded."""
    clauses: list[list[str]] = [[]]
    for field_name, value in terms:
        term = f'{field_name}=="{_quoted(value)}"'
        if clauses[-1] and len(quote_plus(" OR ".join([*clauses[-1], term]))) > MAX_WHERE_CHARS:
            clauses.append([])
        clauses[-1].append(term)
    return [" OR ".join(clause) for clause in clauses if clause]


def _quoted(value: str) -> str:
    return value.replace('"', '""')


def _best(candidates: list[dict[str, Any]], spec: Mapping[str, Any]) -> dict[str, Any]:
    """Deterministic choice: active before archived, the same ContactNumber first, then the
    lowest ContactID."""
    number = str(spec.get("ContactNumber") or "")
    return min(
        candidates,
        key=lambda c: (
            _archived(c),
            str(c.get("ContactNumber") or "") != number,
            str(c.get("ContactID")),
        ),
    )


def _archived(contact: Mapping[str, Any]) -> bool:
    return str(contact.get("ContactStatus") or "ACTIVE") == "ARCHIVED"


def _restore(client: XeroClient, contacts: list[dict[str, Any]]) -> set[str]:
    """Xero refuses documents for archived contacts: make them active again. Returns the
    ContactIDs Xero would not restore (another active contact has the name, say)."""
    ids = sorted({str(contact["ContactID"]) for contact in contacts})
    refused: set[str] = set()
    restores = [{"ContactID": cid, "ContactStatus": "ACTIVE"} for cid in ids]
    for results in write_batches(client, resources.CONTACTS, restores, method="POST"):
        refused |= {ids[outcome.index] for outcome in results if not outcome.ok}
    return refused


def _without_number(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A replacement for an archived contact that keeps the customer's number (Xero wants
    contact numbers unique): it goes without."""
    return {key: value for key, value in spec.items() if key != "ContactNumber"}


def _create(
    store_id: int,
    client: XeroClient,
    to_create: Mapping[str, Mapping[str, Any]],
    result: Resolution,
    index_id: int | None,
) -> None:
    """Create in batches; names already taken are retried once as "Name (email)"; a number
    already taken means the customer's contact was made since it was looked up: it is
    looked up again. The contacts made go into the copy of the organisation's contacts, if
    there is one."""
    attempts = [dict(to_create), {}]
    made_meanwhile: dict[str, tuple[Mapping[str, Any], str]] = {}
    for round_number, batch in enumerate(attempts):
        keys = sorted(batch)
        specs = [batch[key] for key in keys]
        for results in write_batches(client, resources.CONTACTS, specs, method="PUT"):
            made = []
            for outcome in results:
                key = keys[outcome.index]
                reason = "; ".join(outcome.errors) or outcome.status
                if outcome.ok and outcome.element.get("ContactID"):
                    bind_contact(store_id, key, outcome.element)
                    result.contact_ids[key] = outcome.element["ContactID"]
                    made.append(outcome.element)
                elif any(NUMBER_TAKEN in e for e in outcome.errors):
                    made_meanwhile[key] = (batch[key], reason)
                elif round_number == 0 and any(NAME_TAKEN in e for e in outcome.errors):
                    attempts[1][key] = _renamed(batch[key], key)
                else:
                    result.failures[key] = reason
            db.session.commit()
            if index_id is not None:
                _keep(index_id, made)
        if not attempts[1]:
            break
    _adopt(store_id, client, made_meanwhile, result, index_id)


def _adopt(
    store_id: int,
    client: XeroClient,
    made_meanwhile: Mapping[str, tuple[Mapping[str, Any], str]],
    result: Resolution,
    index_id: int | None,
) -> None:
    """Bind the contacts made since the lookup (by a flush that ran beside this one when
    Redis lost the store's lock): found by a `where` lookup, which asks Xero itself; Xero's
    refusal stands for any not found."""
    if not made_meanwhile:
        return
    missing = {key: spec for key, (spec, _) in made_meanwhile.items()}
    values = _wanted_values(missing)
    terms = _terms(values)
    found = _find(missing, values, _lookup(client, terms))
    if index_id is not None:
        _keep(index_id, list(found.values()))
    for key, (_, reason) in made_meanwhile.items():
        if key in found:
            bind_contact(store_id, key, found[key])
            result.contact_ids[key] = found[key]["ContactID"]
        else:
            result.failures[key] = reason
    db.session.commit()


def _renamed(spec: Mapping[str, Any], key: str) -> dict[str, Any]:
    qualifier = str(spec.get("EmailAddress") or spec.get("ContactNumber") or key)
    return {**spec, "Name": f"{spec['Name']} ({qualifier})"[:255]}

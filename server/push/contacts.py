"""Xero contacts for the customers of the orders being sent: bound ones cost nothing; the
rest are looked up many at a call — by ContactNumber (the WooCommerce customer id) and by
email (case-insensitively, archived ones too) in the same calls, a number's match winning —
and the ones still missing created in batches.
A name another contact has is made unique as "Name (email)"; an archived match is restored;
a contact made meanwhile under the customer's number is found and bound. Only customers with
orders reach here, and nothing is ever deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.connectors.xero.client import XeroClient
from server.extensions import db
from server.push.bindings import bind_contact, bound_contacts

# Xero answers 404 to a URL of more than about 2,100 characters (XeroAPI/xero-node#404,
# Xero-NetStandard#471): a lookup's `where`, URL-encoded, stays under this.
MAX_WHERE_CHARS = 1900
LOOKUP_FIELDS = ("ContactNumber", "EmailAddress", "Name")  # in the order a match counts
NAME_TAKEN = "contact name"  # "The contact name X is already assigned to another contact"
NUMBER_TAKEN = "contact number"  # "The contact number N is already assigned to another contact."
SHARED_GUESTS = "guest:shared"


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
    found = _find(client, missing)
    archived = [contact for contact in found.values() if _archived(contact)]
    not_restored = _restore(client, archived)
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
    _create(store_id, client, to_create, result)
    return result


def _find(client: XeroClient, missing: Mapping[str, Mapping[str, Any]]) -> dict[str, dict]:
    """Existing contacts by ContactNumber (the customer id), else by email, else (the shared
    guest contact) by name: every field of every customer looked up in the same calls."""
    wanted = {
        key: {field_name: value for field_name in LOOKUP_FIELDS
              if (value := _lookup_value(field_name, key, spec))}
        for key, spec in missing.items()
    }  # fmt: skip
    terms = {term for values in wanted.values() for term in values.items()}
    matches = _lookup(client, sorted(terms))
    found: dict[str, dict[str, Any]] = {}
    for key, values in wanted.items():
        for field_name, value in values.items():  # in the order of LOOKUP_FIELDS
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
    matches: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for where in _where_clauses(terms):
        for contact in client.iterate(
            resources.CONTACTS, {"where": where, "includeArchived": True}
        ):
            for field_name in LOOKUP_FIELDS:
                value = str(contact.get(field_name) or "").lower()
                if value:
                    matches.setdefault((field_name, value), []).append(contact)
    return matches


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
) -> None:
    """Create in batches; names already taken are retried once as "Name (email)"; a number
    already taken means the customer's contact was made since it was looked up: it is
    looked up again."""
    attempts = [dict(to_create), {}]
    made_meanwhile: dict[str, tuple[Mapping[str, Any], str]] = {}
    for round_number, batch in enumerate(attempts):
        keys = sorted(batch)
        specs = [batch[key] for key in keys]
        for results in write_batches(client, resources.CONTACTS, specs, method="PUT"):
            for outcome in results:
                key = keys[outcome.index]
                reason = "; ".join(outcome.errors) or outcome.status
                if outcome.ok and outcome.element.get("ContactID"):
                    bind_contact(store_id, key, outcome.element)
                    result.contact_ids[key] = outcome.element["ContactID"]
                elif any(NUMBER_TAKEN in e for e in outcome.errors):
                    made_meanwhile[key] = (batch[key], reason)
                elif round_number == 0 and any(NAME_TAKEN in e for e in outcome.errors):
                    attempts[1][key] = _renamed(batch[key], key)
                else:
                    result.failures[key] = reason
            db.session.commit()
        if not attempts[1]:
            break
    _adopt(store_id, client, made_meanwhile, result)


def _adopt(
    store_id: int,
    client: XeroClient,
    made_meanwhile: Mapping[str, tuple[Mapping[str, Any], str]],
    result: Resolution,
) -> None:
    """Bind the contacts made since the lookup (by a flush that ran beside this one when
    Redis lost the store's lock): found by the customer's number; Xero's refusal stands for
    any not found."""
    if not made_meanwhile:
        return
    found = _find(client, {key: spec for key, (spec, _) in made_meanwhile.items()})
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

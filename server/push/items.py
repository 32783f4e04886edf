"""Xero items for the SKUs on the orders being sent: found by Code in the cached item list
(one call per refresh), the missing ones created in batches with their sales details."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from server.connectors.xero import resources
from server.connectors.xero.batch import write_batches
from server.connectors.xero.client import XeroClient
from server.extensions import db
from server.mapping.orders import for_xero
from server.push import reference as xero_reference

ALREADY_EXISTS = "already exists"


def ensure(
    store_id: int, client: XeroClient, known: frozenset[str], wanted: Iterable[Mapping[str, Any]]
) -> dict[str, str]:
    """Create the items of `wanted` whose Code is not in `known` (lower-cased codes).
    Returns the codes Xero refused, with its reasons. Commits."""
    missing: dict[str, Mapping[str, Any]] = {}
    for item in wanted:
        code = str(item["Code"])
        if code.lower() not in known:
            missing.setdefault(code.lower(), item)
    if not missing:
        return {}
    specs = [missing[code] for code in sorted(missing)]
    failures: dict[str, str] = {}
    created: list[dict[str, Any]] = []
    for results in write_batches(client, resources.ITEMS, for_xero(specs), method="PUT"):
        for outcome in results:
            code = str(specs[outcome.index]["Code"])
            if outcome.ok:
                created.append(dict(outcome.element))
            elif any(ALREADY_EXISTS in error for error in outcome.errors):
                created.append({"Code": code})  # made meanwhile: it is there
            else:
                failures[code] = "; ".join(outcome.errors) or outcome.status
    xero_reference.add_items(store_id, created)
    db.session.commit()
    return failures

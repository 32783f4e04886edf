"""Batched writes with Xero's ``summarizeErrors`` semantics.

Sourced (notes §4): with ``summarizeErrors=false`` the answer is 200 and every element
carries ``StatusAttributeString`` (OK/ERROR), ``ValidationErrors`` and ``Warnings``, with
``HasErrors`` (invoices, credit notes) or ``HasValidationErrors`` (contacts, payments); by
default any failing element makes the answer a 400 ValidationException, while the valid
elements are still written (batches are not transactional); the 400's ``Elements`` lists only
the failing elements (observed by users in xero-php-oauth2#13: "I'm only having those that
triggered validation returned"). Assumed: each is echoed as sent with a zero id added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from ..store import Row
from .context import ElementErrors
from .responses import envelope, json_response, validation_exception

ZERO_ID = "00000000-0000-0000-0000-000000000000"
_ERROR_FLAGS = {
    "Invoices": "HasErrors",
    "CreditNotes": "HasErrors",
    "Contacts": "HasValidationErrors",
    "Payments": "HasValidationErrors",
}


def _failed(collection: str, id_field: str, element: Any, messages: list[str]) -> Row:
    echoed: Row = dict(element) if isinstance(element, dict) else {}
    echoed.setdefault(id_field, ZERO_ID)
    flag = _ERROR_FLAGS.get(collection)
    if flag:
        echoed[flag] = True
    echoed["ValidationErrors"] = [{"Message": m} for m in messages]
    return echoed


def write_batch(
    collection: str,
    id_field: str,
    elements: list[Any],
    apply: Callable[[dict[str, Any]], Row],
    render: Callable[[Row], Row],
    summarize: bool,
    provider: str,
) -> Response:
    """Apply ``apply`` to each element and answer as Xero does."""
    results: list[tuple[Row, bool]] = []
    for element in elements:
        try:
            if not isinstance(element, dict):
                raise ElementErrors([f"Each element of {collection} must be an object."])
            results.append((render(apply(element)), True))
        except ElementErrors as failure:
            results.append((_failed(collection, id_field, element, failure.messages), False))
    if summarize:
        failures = [row for row, ok in results if not ok]
        if failures:
            return validation_exception(failures)
        return json_response(envelope(provider, collection, [row for row, _ in results]))
    flag = _ERROR_FLAGS.get(collection)
    items = []
    for row, ok in results:
        row = dict(row)
        if ok:
            row |= {"ValidationErrors": [], "Warnings": []}
            if flag:
                row[flag] = False
        else:
            row["Warnings"] = []
        row["StatusAttributeString"] = "OK" if ok else "ERROR"
        items.append(row)
    return json_response(envelope(provider, collection, items))

"""Xero's response shapes: the envelope, error bodies, and the wire form of values.

Sourced shapes: the envelope ``{Id, Status, ProviderName, DateTimeUTC, <Collection>}``;
``ValidationException`` (ErrorNumber 10) with ``Elements``; ``QueryParseException``
(ErrorNumber 16, xero-php-oauth2#307); ``PostDataInvalidException`` (ErrorNumber 14, "JSON for
post data was invalid", xero-php-oauth2#38); problem bodies ``{Type, Title, Status, Detail,
Instance, Extensions}`` for 401/403 (pyxero#337, xero-node#432); the plain-text 404 "The
resource you're looking for cannot be found". Assumed: the 429, 500 and 503 bodies use the
same problem shape.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from flask import Response

from ..formats import dumps, envelope_date, ms_date, now_utc

JSON = "application/json; charset=utf-8"


def to_wire(value: Any) -> Any:
    """Dates to ``/Date(ms+0000)/``; containers recursively; everything else unchanged."""
    if isinstance(value, datetime | date):
        return ms_date(value)
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response with Decimals written exactly."""
    return Response(dumps(to_wire(payload)), status=status, headers=headers, content_type=JSON)


def envelope(provider: str, collection: str, items: list[Any], **extra: Any) -> dict[str, Any]:
    """The standard success envelope."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider,
        "DateTimeUTC": envelope_date(now_utc()),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    body[collection] = items
    return body


def validation_exception(elements: list[Any], message: str = "") -> Response:
    """400 ValidationException with the failing elements."""
    body: dict[str, Any] = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": message or "A validation exception occurred",
    }
    if elements or not message:
        body["Elements"] = elements
    return json_response(body, 400)


def post_data_invalid(detail: str) -> Response:
    """400 PostDataInvalidException: a body that is not valid JSON for the operation."""
    return json_response(
        {
            "ErrorNumber": 14,
            "Type": "PostDataInvalidException",
            "Message": f"JSON for post data was invalid,{detail}",
        },
        400,
    )


def query_parse_exception(message: str) -> Response:
    """400 QueryParseException for a bad ``where`` or ``order``."""
    return json_response(
        {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}, 400
    )


def not_found() -> Response:
    """Xero's plain-text 404."""
    return Response(
        "The resource you're looking for cannot be found", 404, content_type="text/plain"
    )


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """The problem-details body Xero's gateway uses for 401/403/429/5xx."""
    body = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return json_response(body, status, headers)

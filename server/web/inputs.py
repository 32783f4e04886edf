"""What a request may bring: JSON is read by one bounded parser (`server.untrusted`), for the
views (`json_object`) and for anything that calls `request.get_json()`."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider

from server import untrusted


class UntrustedJSONProvider(DefaultJSONProvider):
    """`request.get_json()` through the bounded parser: a body nested too deep is a 400
    (its error is a ValueError), not a RecursionError and a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return untrusted.loads(s)


def init_app(app: Flask) -> None:
    app.json = UntrustedJSONProvider(app)


def json_object(*, allow_empty: bool = False) -> dict[str, Any]:
    """The request's body as a JSON object, whatever its Content-Type; 400 with the reason if
    it is anything else. An empty body is `{}` only with `allow_empty`."""
    raw = request.get_data()
    if not raw.strip():
        if allow_empty:
            return {}
        abort(400, "the body must be a JSON object, and it is empty")
    try:
        body = untrusted.loads(raw)
    except untrusted.UntrustedJSONError as error:
        abort(400, f"the body is {error}")
    if not isinstance(body, dict):
        abort(400, f"the body must be a JSON object, not {_kind(body)}")
    return body


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else "a number or boolean"

"""What a request may bring: a body no larger than the limit however it is sent, and JSON
read by one bounded parser (`server.untrusted`), for the views (`json_object`) and for
anything that calls `request.get_json()`."""

from __future__ import annotations

from typing import IO, Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from server import untrusted


class _CappedStream(LimitedStream):
    """Reads up to one byte past the cap, and a body that gets there is too large."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(stream, cap + 1, is_max=True)

    def readinto(self, b: bytearray) -> int | None:  # type: ignore[override]
        size = super().readinto(b)
        if self.is_exhausted:
            raise RequestEntityTooLarge()
        return size


class CappedRequest(Request):
    """A body sent without Content-Length (chunked) is 413 when over max_content_length.
    Werkzeug stops reading such a body at the limit and hands on what it read as if it
    were all: a signed call or webhook was then refused for a wrong signature (401) and
    any other body read cut short."""

    @cached_property
    def stream(self) -> IO[bytes]:
        stream = super().stream  # refuses a declared Content-Length over the limit
        cap = self.max_content_length
        if cap is None or self.content_length is not None:
            return stream
        if "wsgi.input_terminated" not in self.environ:
            return stream  # an empty stream: the server does not end the body for us
        return _CappedStream(self.environ["wsgi.input"], cap)


class UntrustedJSONProvider(DefaultJSONProvider):
    """`request.get_json()` through the bounded parser: a body nested too deep is a 400
    (its error is a ValueError), not a RecursionError and a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return untrusted.loads(s)


def init_app(app: Flask) -> None:
    app.request_class = CappedRequest
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

"""What a request may bring: a body no larger than the limit however it is sent; JSON read
by one bounded parser (`server.untrusted`), for the views (`json_object`) and for anything
that calls `request.get_json()`; forms from form bodies only; and nowhere the character
U+0000, which PostgreSQL can neither store nor compare (it would fail at the database)."""

from __future__ import annotations

from typing import IO, Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream
from wtforms import Field, Form
from wtforms.validators import StopValidation

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
    app.before_request(_refuse_nul_in_address)


def _refuse_nul_in_address() -> None:
    """Path segments and query values reach database queries (ids, searches, filters)."""
    arguments = request.args.items(multi=True)
    if untrusted.has_nul(request.path) or any(
        untrusted.has_nul(key) or untrusted.has_nul(value) for key, value in arguments
    ):
        abort(400, "the character U+0000 is not accepted in an address")


def no_nul(_form: Form, field: Field) -> None:
    """A form field's validator: text that reaches the database holds no U+0000. It stops
    the chain, so no later validator (a uniqueness check, say) takes it to the database."""
    if isinstance(field.data, str) and untrusted.has_nul(field.data):
        raise StopValidation("The character U+0000 is not accepted.")


class BrowserForm(FlaskForm):
    """A form a browser posts: its fields come from the form body only. (FlaskForm reads a
    JSON body as the fields too, and fails with a 500 on one that is not an object.)"""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Form, formdata: Any) -> Any:
            if request.is_json:
                return request.form  # empty: no field is given
            return super().wrap_formdata(form, formdata)


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

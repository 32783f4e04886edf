"""One table from a Xero HTTP answer to the connector's error tree, for the API and for the
identity service's connections endpoint alike."""

from __future__ import annotations

from typing import Any

import requests

from server.connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    TransientError,
    ValidationError,
)
from server.connectors.xero import wire

TOKEN_PROBLEMS = ("tokenexpired", "tokeninvalid", "invalid_token", "token expired")


def body(response: requests.Response) -> Any:
    """The parsed JSON body, {} if empty; None if it is not JSON."""
    if not response.text.strip():
        return {}
    try:
        return wire.loads(response.text)
    except ValueError:
        return None


def message_of(data: Any, fallback: str) -> str:
    if isinstance(data, dict):
        for key in ("Message", "Detail", "Title", "message"):
            if data.get(key):
                return str(data[key])
    return fallback


def validation_messages(data: Any) -> list[str]:
    """Every ValidationErrors message of a ValidationException, element by element."""
    messages = []
    for position, element in enumerate((data or {}).get("Elements") or []):
        for error in element.get("ValidationErrors") or []:
            messages.append(f"element {position + 1}: {error.get('Message', '')}")
    return messages


def is_token_problem(response: requests.Response) -> bool:
    """A 401 a fresh access token can cure (expired or invalid token), as opposed to one
    that refuses the app itself (a scope it was not granted: AuthorizationUnsuccessful)."""
    text = (response.headers.get("WWW-Authenticate", "") + " " + response.text).lower()
    return any(problem in text for problem in TOKEN_PROBLEMS)


def raise_for_status(response: requests.Response, *, maybe_applied: bool = False) -> Any:
    """The parsed body of a 2xx answer; the matching connector error for anything else."""
    status = response.status_code
    data = body(response)
    if status < 300:
        if data is None:
            raise PermanentError(f"Xero answered {status} with a body that is not JSON")
        return data
    message = message_of(data, f"Xero answered {status}")
    if status == 400:
        if isinstance(data, dict) and data.get("Type") == "ValidationException":
            messages = validation_messages(data) or [message]
            raise ValidationError(
                f"Xero refused the data: {'; '.join(messages)}", messages=messages, status=400
            )
        raise PermanentError(f"Xero refused the request: {message}", status=400)
    if status in (401, 403):
        raise AuthError(
            f"Xero refused access: {message}",
            status=status,
            needs_reauthorisation=status == 403 or not is_token_problem(response),
        )
    if status == 404:
        raise NotFoundError(f"Xero found nothing: {message}", status=404)
    if status >= 500 or status == 429:
        raise TransientError(
            f"Xero failed ({status}): {message}", status=status, uncertain=maybe_applied
        )
    raise PermanentError(f"Xero answered {status}: {message}", status=status)

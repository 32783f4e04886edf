"""The Xero Accounting API client for one organisation.

Every call takes a slot from the shared rate limiter, carries the `xero-tenant-id` header
and, for PUT/POST, an Idempotency-Key derived from its content. A 401 refreshes the token
once; a 429 blocks the organisation for every process and waits if Retry-After allows;
5xx, timeouts and lost connections are retried twice with the same key (so a write that
was applied is answered from Xero's idempotency cache rather than made twice), then raised
as TransientError, `uncertain` for writes. Every HTTP status maps to one error type.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from server.connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    RateLimitError,
    TransientError,
    ValidationError,
)
from server.connectors.xero import wire
from server.connectors.xero.config import XeroAppConfig
from server.connectors.xero.ratelimit import CallPriority, RateLimiter
from server.connectors.xero.resources import Resource
from server.connectors.xero.tokens import TokenManager

MAX_PAGE_SIZE = 1000
TRANSIENT_RETRY_DELAYS = (1.0, 3.0)
MAX_RATE_LIMIT_RETRIES = 3
IDEMPOTENCY_PREFIX = "wooxero-"
WRITE_METHODS = ("PUT", "POST")


@dataclass(frozen=True)
class XeroResponse:
    status: int
    data: Any
    headers: Mapping[str, str]


def idempotency_key(method: str, path: str, params: Mapping[str, Any], body: str, salt: str) -> str:
    """A key (≤128 characters) that is the same exactly when the request is the same."""
    canonical = "\n".join([method, path, urlencode(sorted(params.items())), body, salt])
    return IDEMPOTENCY_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()


def modified_since_header(moment: datetime) -> str:
    """Xero takes an ISO 8601 date-time here (the spec's format), not an HTTP date."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class XeroClient:
    def __init__(
        self,
        config: XeroAppConfig,
        tenant_id: str,
        tokens: TokenManager,
        limiter: RateLimiter,
        *,
        session: requests.Session | None = None,
        max_wait: float = 60,
        sleep: Callable[[float], None] = time.sleep,
        before_call: Callable[[], None] = lambda: None,
    ) -> None:
        """`before_call` runs before every HTTP call, e.g. to end the caller's database
        transaction so no lock is held while Xero answers."""
        self.before_call = before_call
        self.config = config
        self.tenant_id = tenant_id
        self.tokens = tokens
        self.limiter = limiter
        self.http = session or requests.Session()
        self.max_wait = max_wait
        self.sleep = sleep

    # -- reading -------------------------------------------------------------------------

    def get(
        self,
        resource: Resource,
        params: Mapping[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        page: int | None = None,
        priority: CallPriority = CallPriority.NORMAL,
    ) -> list[dict[str, Any]]:
        """One GET of a collection (one page of it, if `page` is given)."""
        query = self._list_query(resource, params or {})
        if page is not None:
            if not resource.paged:
                raise ValueError(f"{resource.path} is not paged")
            query["page"] = page
            if resource.page_size:
                query["pageSize"] = MAX_PAGE_SIZE
        headers = (
            {"If-Modified-Since": modified_since_header(modified_since)} if modified_since else {}
        )
        response = self.request(
            "GET", resource.path, params=query, headers=headers, priority=priority
        )
        return list(response.data.get(resource.collection) or [])

    def iterate(
        self,
        resource: Resource,
        params: Mapping[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        priority: CallPriority = CallPriority.NORMAL,
    ) -> Iterator[dict[str, Any]]:
        """Every element of a collection, page after page (1000 a page where Xero allows)."""
        if not resource.paged:
            yield from self.get(resource, params, modified_since=modified_since, priority=priority)
            return
        size = MAX_PAGE_SIZE if resource.page_size else 100
        page = 1
        while True:
            items = self.get(
                resource, params, modified_since=modified_since, page=page, priority=priority
            )
            yield from items
            if len(items) < size:
                return
            page += 1

    def get_one(
        self, resource: Resource, record_id: str, *, priority: CallPriority = CallPriority.NORMAL
    ) -> dict[str, Any]:
        response = self.request("GET", f"{resource.path}/{record_id}", priority=priority)
        items = response.data.get(resource.collection) or []
        if not items:
            raise NotFoundError(f"Xero has no {resource.path} {record_id}")
        return items[0]

    def _list_query(self, resource: Resource, params: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(params) - resource.list_params
        if unknown:
            raise ValueError(f"{resource.path} does not take {sorted(unknown)}")
        return {key: _query_value(value) for key, value in params.items() if value is not None}

    # -- writing -------------------------------------------------------------------------

    def write(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
        priority: CallPriority = CallPriority.NORMAL,
        idempotency_salt: str = "",
    ) -> XeroResponse:
        """One PUT (create) or POST (update or create) with its Idempotency-Key.

        Returns the response even for 200s with per-element errors; raises for the rest.
        """
        if method not in WRITE_METHODS:
            raise ValueError(f"not a write method: {method}")
        return self.request(
            method, path, params=dict(params or {}), body=body, priority=priority,
            idempotency_salt=idempotency_salt,
        )  # fmt: skip

    # -- transport -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        priority: CallPriority = CallPriority.NORMAL,
        idempotency_salt: str = "",
    ) -> XeroResponse:
        params = dict(params or {})
        text = wire.dumps(body) if body is not None else ""
        request_headers = {
            "Accept": "application/json",
            "User-Agent": self.config.user_agent,
            "xero-tenant-id": self.tenant_id,
            **(headers or {}),
        }
        if body is not None:
            request_headers["Content-Type"] = "application/json"
        if method in WRITE_METHODS:
            request_headers["Idempotency-Key"] = idempotency_key(
                method, path, params, text, idempotency_salt
            )
        url = f"{self.config.api_url}/{path}"
        auth_retried = False
        rate_retries = 0
        transient_retries = iter(TRANSIENT_RETRY_DELAYS)
        maybe_applied = False  # an earlier attempt of this write may have reached Xero
        while True:
            try:
                response, token = self._send(method, url, params, text, request_headers, priority)
            except TransientError as error:
                maybe_applied = maybe_applied or error.uncertain
                delay = next(transient_retries, None)
                if delay is None:
                    error.uncertain = maybe_applied
                    raise
                self.sleep(delay * random.uniform(1.0, 1.5))  # noqa: S311 - jitter
                continue
            status = response.status_code
            if status == 401 and not auth_retried:
                auth_retried = True
                self.tokens.access_token_after_rejection(token)
                continue
            if status == 429:
                rate_retries += 1
                self._wait_after_429(response, give_up=rate_retries > MAX_RATE_LIMIT_RETRIES)
                continue
            if status >= 500:
                maybe_applied = maybe_applied or method in WRITE_METHODS
                delay = next(transient_retries, None)
                if delay is not None:
                    self.sleep(delay * random.uniform(1.0, 1.5))  # noqa: S311 - jitter
                    continue
            return _result(response, method, maybe_applied)

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any],
        body: str,
        headers: dict[str, str],
        priority: CallPriority,
    ) -> tuple[requests.Response, str]:
        self.before_call()
        with self.limiter.slot(self.tenant_id, priority, self.max_wait):
            token = self.tokens.access_token()
            try:
                response = self.http.request(
                    method, url, params=params, data=body.encode() if body else None,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                    timeout=self.config.timeout,
                )  # fmt: skip
            except requests.ConnectTimeout:
                raise TransientError("could not reach Xero (connect timeout)") from None
            except (requests.ConnectionError, requests.Timeout) as error:
                raise TransientError(
                    f"no answer from Xero: {type(error).__name__}",
                    uncertain=method in WRITE_METHODS,  # it may have been applied
                ) from None
        self.limiter.correct(self.tenant_id, response.headers)
        return response, token

    def _wait_after_429(self, response: requests.Response, *, give_up: bool) -> None:
        problem = (response.headers.get("X-Rate-Limit-Problem") or "unknown").strip().lower()
        try:
            retry_after = float(response.headers.get("Retry-After") or 1)
        except ValueError:
            retry_after = 1.0
        self.limiter.block(self.tenant_id, problem, retry_after)
        wait = retry_after + random.uniform(0.1, 1.0)  # noqa: S311 - jitter
        if give_up or wait > self.max_wait:
            raise RateLimitError(
                f"Xero's {problem} limit was reached; retry after {retry_after:.0f}s",
                retry_after=retry_after,
                limit=problem,
                status=429,
            )
        self.sleep(wait)


def _query_value(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _message(data: Any, fallback: str) -> str:
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


def _result(response: requests.Response, method: str, maybe_applied: bool) -> XeroResponse:
    status = response.status_code
    try:
        data = wire.loads(response.text) if response.text.strip() else {}
    except ValueError:
        if status < 300:
            raise PermanentError(f"Xero answered {status} with a body that is not JSON") from None
        data = {}
    if status < 300:
        return XeroResponse(status=status, data=data, headers=response.headers)
    message = _message(data, f"Xero answered {status}")
    if status == 400:
        if isinstance(data, dict) and data.get("Type") == "ValidationException":
            messages = validation_messages(data) or [message]
            raise ValidationError(
                f"Xero refused the data: {'; '.join(messages)}", messages=messages, status=400
            )
        raise PermanentError(f"Xero refused the request: {message}", status=400)
    if status == 401:
        raise AuthError(f"Xero refused the access token: {message}", status=401)
    if status == 403:
        raise AuthError(
            f"Xero refused access to this organisation: {message}",
            status=403,
            needs_reauthorisation=True,
        )
    if status == 404:
        raise NotFoundError(f"Xero found nothing: {message}", status=404)
    if status >= 500:
        raise TransientError(
            f"Xero failed ({status}): {message}", status=status, uncertain=maybe_applied
        )
    raise PermanentError(f"Xero answered {status}: {message}", status=status)

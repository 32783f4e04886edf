"""The Xero Accounting API client for one organisation.

Every call takes a slot from the shared rate limiter in its class (`CallPriority`: the
caller's, or the one `calls_as` set), carries the `xero-tenant-id` header and, for PUT/POST,
an Idempotency-Key derived from the organisation and the content. A 401 for an expired or
invalid token refreshes it once; any other refusal (a scope not granted, the organisation
disconnected) is reported through `on_access_refused` and raised. A 429
blocks the organisation (or the whole app) for every process and waits if Retry-After
allows. 5xx, timeouts and lost connections are retried twice with the same key, so a write
Xero applied is answered from its idempotency cache rather than made twice; after that the
error says whether the write may have been applied (`uncertain`).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from server.connectors.base import AuthError, NotFoundError, RateLimitError, TransientError
from server.connectors.xero import errors, wire
from server.connectors.xero.config import XeroAppConfig
from server.connectors.xero.ratelimit import CallPriority, RateLimiter, limit_name
from server.connectors.xero.resources import Resource
from server.connectors.xero.tokens import TokenManager

MAX_PAGE_SIZE = 1000
TRANSIENT_RETRY_DELAYS = (1.0, 3.0)
MAX_RATE_LIMIT_RETRIES = 3
IDEMPOTENCY_PREFIX = "wooxero-"
WRITE_METHODS = ("PUT", "POST")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    page_count: int | None  # as Xero's `pagination` says; None if it gave none


@dataclass(frozen=True)
class XeroResponse:
    status: int
    data: Any
    headers: Mapping[str, str]


def idempotency_key(
    tenant_id: str, method: str, path: str, params: Mapping[str, Any], body: str, salt: str
) -> str:
    """A key (≤128 characters) that is the same exactly when the request is the same. Xero
    keeps keys per app, so the organisation is part of it: two stores sending the same
    contact to two organisations must not share a key."""
    canonical = "\n".join([tenant_id, method, path, urlencode(sorted(params.items())), body, salt])
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
        on_access_refused: Callable[[str], None] = lambda reason: None,
    ) -> None:
        """`before_call` runs before every HTTP call (e.g. to end the caller's database
        transaction); `on_access_refused` records that only reconnecting can help."""
        self.config = config
        self.tenant_id = tenant_id
        self.tokens = tokens
        self.limiter = limiter
        self.http = session or requests.Session()
        self.max_wait = max_wait
        self.sleep = sleep
        self.before_call = before_call
        self.on_access_refused = on_access_refused
        self.call_class = CallPriority.NORMAL

    @contextmanager
    def calls_as(self, priority: CallPriority) -> Iterator[None]:
        """Calls made meanwhile that name no class of their own are of `priority`: the flush
        sets the class of each of its steps (see `ratelimit.CallPriority`) once."""
        previous, self.call_class = self.call_class, priority
        try:
            yield
        finally:
            self.call_class = previous

    # -- reading -------------------------------------------------------------------------

    def get(
        self,
        resource: Resource,
        params: Mapping[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        priority: CallPriority | None = None,
    ) -> list[dict[str, Any]]:
        """One GET of a collection (unpaged: all of it; paged: its first page)."""
        items, _pages = self._get_page(resource, params, modified_since, None, priority)
        return items

    def iterate(
        self,
        resource: Resource,
        params: Mapping[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        priority: CallPriority | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every element of a collection, page after page (1000 a page where Xero allows),
        for as many pages as Xero's `pagination.pageCount` says."""
        for page in self.pages(resource, params, modified_since=modified_since, priority=priority):
            yield from page.items

    def pages(
        self,
        resource: Resource,
        params: Mapping[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        priority: CallPriority | None = None,
    ) -> Iterator[Page]:
        """A collection a page (one call) at a time, each telling how many pages Xero has:
        a caller may stop once it knows the whole would cost too much."""
        if not resource.paged:
            items = self.get(resource, params, modified_since=modified_since, priority=priority)
            yield Page(items, 1)
            return
        size = MAX_PAGE_SIZE if resource.page_size else 100
        number = 1
        while True:
            items, page_count = self._get_page(resource, params, modified_since, number, priority)
            yield Page(items, page_count)
            done = number >= page_count if page_count is not None else len(items) < size
            if done or not items:
                return
            number += 1

    def _get_page(
        self,
        resource: Resource,
        params: Mapping[str, Any] | None,
        modified_since: datetime | None,
        page: int | None,
        priority: CallPriority | None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        query = self._list_query(resource, params or {})
        if page is not None:
            query["page"] = page
            if resource.page_size:
                query["pageSize"] = MAX_PAGE_SIZE
        headers = {}
        if modified_since is not None:
            if not resource.modified_since:
                raise ValueError(f"{resource.path} does not take If-Modified-Since")
            headers["If-Modified-Since"] = modified_since_header(modified_since)
        data = self.request(
            "GET", resource.path, params=query, headers=headers, priority=priority
        ).data
        pagination = data.get("pagination") if isinstance(data, dict) else None
        page_count = pagination.get("pageCount") if isinstance(pagination, dict) else None
        return list(data.get(resource.collection) or []), page_count

    def get_one(
        self, resource: Resource, record_id: str, *, priority: CallPriority | None = None
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
        priority: CallPriority | None = None,
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
        priority: CallPriority | None = None,
        idempotency_salt: str = "",
    ) -> XeroResponse:
        params = dict(params or {})
        priority = self.call_class if priority is None else priority
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
                self.tenant_id, method, path, params, text, idempotency_salt
            )
        url = f"{self.config.api_url}/{path}"
        refreshed = False
        rate_retries = 0
        transient_retries = iter(TRANSIENT_RETRY_DELAYS)
        maybe_applied = False  # some attempt of this write may have reached Xero
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
            if status == 401 and not refreshed and errors.is_token_problem(response):
                refreshed = True
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
            try:
                data = errors.raise_for_status(response, maybe_applied=maybe_applied)
            except AuthError as error:
                if error.needs_reauthorisation or refreshed:
                    error.needs_reauthorisation = True
                    self.on_access_refused(error.message)
                raise
            return XeroResponse(status=status, data=data, headers=response.headers)

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
            except requests.RequestException as error:
                raise TransientError(
                    f"no complete answer from Xero: {type(error).__name__}",
                    uncertain=method in WRITE_METHODS,  # it may have been applied
                ) from None
        self.limiter.correct(self.tenant_id, response.headers)
        return response, token

    def _wait_after_429(self, response: requests.Response, *, give_up: bool) -> None:
        problem = limit_name(response.headers.get("X-Rate-Limit-Problem"))
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

"""The WooCommerce REST API (wc/v3) of one store, on the `woocommerce` package.

Over https the package uses HTTP Basic auth; over plain http, OAuth 1.0a signatures (the only
thing WooCommerce accepts there). Reads, PUTs and DELETEs are retried with backoff on 429,
5xx and timeouts; a POST only when it certainly did not arrive. Every failure maps to one
error type of `server.connectors.base`.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from woocommerce import API

from server.connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    RateLimitError,
    TransientError,
    ValidationError,
)

MAX_PER_PAGE = 100
RETRY_DELAYS = (1.0, 3.0, 9.0)
MAX_RETRY_AFTER = 120


@dataclass(frozen=True)
class WooStoreConfig:
    url: str  # normalised and checked (urls.check)
    consumer_key: str
    consumer_secret: str
    timeout: float = 30.0
    user_agent: str = "wooxero"


@dataclass(frozen=True)
class WooResponse:
    status: int
    data: Any
    headers: Mapping[str, str]

    @property
    def total_pages(self) -> int:
        try:
            return int(self.headers.get("X-WP-TotalPages", "1"))
        except ValueError:
            return 1

    @property
    def server_time(self) -> datetime | None:
        """The store's clock (the Date header), for cursors that must not trust ours."""
        value = self.headers.get("Date")
        if not value:
            return None
        try:
            return email.utils.parsedate_to_datetime(value).astimezone(UTC)
        except (TypeError, ValueError):
            return None


class WooClient:
    def __init__(
        self,
        config: WooStoreConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        before_call: Callable[[], None] = lambda: None,
    ) -> None:
        """`before_call` runs before every HTTP call (to end the caller's transaction)."""
        self.config = config
        self.sleep = sleep
        self.before_call = before_call
        self.api = API(
            url=config.url,
            consumer_key=config.consumer_key,
            consumer_secret=config.consumer_secret,
            version="wc/v3",
            timeout=config.timeout,
            user_agent=config.user_agent,
        )

    # -- transport -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> WooResponse:
        delays = iter(RETRY_DELAYS)
        while True:
            try:
                response = self._send(method, endpoint, params, data)
            except TransientError as error:
                delay = next(delays, None)
                if delay is None or (error.uncertain and method == "POST"):
                    raise
                self.sleep(delay * random.uniform(1.0, 1.5))  # noqa: S311 - jitter
                continue
            if response.status_code == 429 or response.status_code >= 500:
                delay = next(delays, None)
                retry_after = _retry_after(response)
                if delay is not None and (method != "POST" or response.status_code in (429, 503)):
                    self.sleep(max(delay, min(retry_after or 0, MAX_RETRY_AFTER)))
                    continue
            return _result(response)

    def _send(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
    ) -> requests.Response:
        query = {key: _query_value(value) for key, value in (params or {}).items()}
        self.before_call()
        try:
            if method == "GET":
                return self.api.get(endpoint, params=query)
            if method == "POST":
                return self.api.post(endpoint, dict(data or {}), params=query)
            if method == "PUT":
                return self.api.put(endpoint, dict(data or {}), params=query)
            if method == "DELETE":
                return self.api.delete(endpoint, params=query)
        except requests.ConnectTimeout:
            raise TransientError("could not reach the store (connect timeout)") from None
        except requests.RequestException as error:
            raise TransientError(
                f"no complete answer from the store: {type(error).__name__}", uncertain=True
            ) from None
        raise ValueError(f"unsupported method {method}")

    # -- reading -------------------------------------------------------------------------

    def get(self, endpoint: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", endpoint, params=params).data

    def page(self, endpoint: str, params: Mapping[str, Any] | None, page: int) -> WooResponse:
        """One page (100 records) of a collection, with its paging headers."""
        return self.request(
            "GET", endpoint, params={**(params or {}), "page": page, "per_page": MAX_PER_PAGE}
        )

    def iterate(
        self, endpoint: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of a collection, page after page, as X-WP-TotalPages says."""
        number = 1
        while True:
            response = self.page(endpoint, params, number)
            yield from response.data
            if number >= response.total_pages or not response.data:
                return
            number += 1

    def order(self, order_id: int | str) -> dict[str, Any]:
        return self.get(f"orders/{order_id}")

    def refunds(self, order_id: int | str) -> list[dict[str, Any]]:
        return list(self.iterate(f"orders/{order_id}/refunds"))

    def customer(self, customer_id: int | str) -> dict[str, Any]:
        return self.get(f"customers/{customer_id}")

    def product(self, product_id: int | str) -> dict[str, Any]:
        return self.get(f"products/{product_id}")

    def variations(self, product_id: int | str) -> list[dict[str, Any]]:
        return list(self.iterate(f"products/{product_id}/variations"))

    def tax_rates(self) -> list[dict[str, Any]]:
        return list(self.iterate("taxes"))

    def payment_gateways(self) -> list[dict[str, Any]]:
        return self.get("payment_gateways")

    def system_status(self) -> dict[str, Any]:
        return self.get("system_status")

    def webhooks(self) -> list[dict[str, Any]]:
        return list(self.iterate("webhooks"))

    # -- writing -------------------------------------------------------------------------

    def add_order_note(
        self, order_id: int | str, note: str, *, customer_note: bool = False
    ) -> dict[str, Any]:
        data = {"note": note, "customer_note": customer_note}
        return self.request("POST", f"orders/{order_id}/notes", data=data).data

    def set_order_status(self, order_id: int | str, status: str) -> dict[str, Any]:
        return self.request("PUT", f"orders/{order_id}", data={"status": status}).data

    def create_webhook(
        self, *, name: str, topic: str, delivery_url: str, secret: str
    ) -> dict[str, Any]:
        data = {
            "name": name, "topic": topic, "delivery_url": delivery_url, "secret": secret,
            "status": "active",
        }  # fmt: skip
        return self.request("POST", "webhooks", data=data).data

    def update_webhook(self, webhook_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"webhooks/{webhook_id}", data=data).data

    def delete_webhook(self, webhook_id: int) -> None:
        try:
            self.request("DELETE", f"webhooks/{webhook_id}", params={"force": True})
        except NotFoundError:
            return


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return value


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _result(response: requests.Response) -> WooResponse:
    status = response.status_code
    try:
        data = response.json() if response.content else None
    except ValueError:
        kind = response.headers.get("Content-Type", "")
        raise (TransientError if status >= 500 else PermanentError)(
            f"the store answered {status} with {kind or 'something'} instead of JSON: a "
            "security plugin, maintenance mode or a proxy may be in the way of the REST API",
            status=status,
        ) from None
    if status < 300:
        return WooResponse(status=status, data=data, headers=response.headers)
    code, message = _error(data, status)
    if status == 401 or status == 403:
        raise AuthError(
            f"the store refused the API keys: {message} ({code})",
            status=status,
            needs_reauthorisation=True,
        )
    if status == 404:
        if code == "rest_no_route":
            raise PermanentError(
                "no WooCommerce REST API at this address (is WooCommerce active, and are "
                "WordPress permalinks enabled?)",
                status=404,
            )
        raise NotFoundError(f"the store has no such record: {message}", status=404)
    if status == 429:
        raise RateLimitError(
            f"the store is limiting requests: {message}",
            retry_after=_retry_after(response) or 60,
            limit="store",
            status=429,
        )
    if status >= 500:
        raise TransientError(f"the store failed ({status}): {message}", status=status)
    if status == 400:
        raise ValidationError(
            f"the store refused the request: {message}", messages=[message], status=400
        )
    raise PermanentError(f"the store answered {status}: {message} ({code})", status=status)


def _error(data: Any, status: int) -> tuple[str, str]:
    if isinstance(data, dict):
        return str(data.get("code") or "unknown"), str(data.get("message") or f"HTTP {status}")
    return "unknown", json.dumps(data)[:200] if data is not None else f"HTTP {status}"

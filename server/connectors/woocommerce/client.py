"""The WooCommerce REST API (wc/v3) of one store, on the `woocommerce` package.

Over https the package uses HTTP Basic auth; where the store's web server drops the
Authorization header (many CGI/FastCGI hosts do), the keys go in the query string instead,
as WooCommerce documents. Over plain http, OAuth 1.0a signatures (the only thing WooCommerce
accepts there), each with a nonce of 128 random bits: WooCommerce refuses a nonce it has
seen in the last 15 minutes, and the package's own (8 random digits) would, over a busy
store's thousands of calls, now and then repeat one. Connections reach public addresses only
and redirects are refused (`transport`). Reads, PUTs and DELETEs are retried with backoff on
429, 5xx and timeouts; a POST only when it certainly did not arrive; any call whose signature
the store refused as used or out of date is signed again and resent (refused before it was
looked at, it did nothing). Every failure maps to one error type of `server.connectors.base`.
"""

from __future__ import annotations

import email.utils
import json
import random
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests
from urllib3.exceptions import NewConnectionError
from woocommerce import API
from woocommerce.oauth import OAuth

from server import untrusted
from server.connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    RateLimitError,
    TransientError,
    ValidationError,
)
from server.connectors.woocommerce.transport import PrivateAddressRefused, store_session

MAX_PER_PAGE = 100
RETRY_DELAYS = (1.0, 3.0, 9.0)
MAX_RETRY_AFTER = 120
# WooCommerce's words for an OAuth 1.0a signature refused for its nonce or its timestamp
# (WC_REST_Authentication::check_oauth_timestamp_and_nonce): not the keys' fault.
SIGNATURE_REFUSALS = ("Invalid nonce - nonce has already been used.", "Invalid timestamp.")


@dataclass(frozen=True)
class WooStoreConfig:
    url: str  # normalised and checked (urls.check)
    consumer_key: str
    consumer_secret: str
    timeout: float = 30.0
    user_agent: str = "wooxero"
    allow_private: bool = False  # connect to private and loopback addresses (dev and tests)
    query_string_auth: bool = False  # over https: keys in the query string, not Basic auth


@dataclass(frozen=True)
class WooResponse:
    status: int
    data: Any
    headers: Mapping[str, str]

    @property
    def total_pages(self) -> int | None:
        """X-WP-TotalPages; None when a proxy stripped it."""
        try:
            return int(self.headers["X-WP-TotalPages"])
        except (KeyError, ValueError):
            return None

    def is_last_page(self, page: int, per_page: int = MAX_PER_PAGE) -> bool:
        """Without the paging headers, a page that is not full is the last."""
        if not isinstance(self.data, list) or not self.data:
            return True
        total = self.total_pages
        return page >= total if total is not None else len(self.data) < per_page

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


class _OAuth(OAuth):  # type: ignore[misc]
    """The package's OAuth 1.0a signing with a nonce that does not repeat."""

    @staticmethod
    def generate_nonce() -> str:
        return secrets.token_hex(16)


class _StoreAPI(API):  # type: ignore[misc]
    """The package's API, sending through our session: public addresses only, no redirects.

    It overrides the package's two private methods that send and sign (`API.__request` and
    `API.__get_oauth_url`, version 3.0.0), keeping its URL building, its choice of
    authentication and its OAuth 1.0a signing, with our nonce.
    """

    def __init__(self, *args: Any, session: requests.Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session

    def _API__get_oauth_url(self, url: str, method: str) -> str:  # noqa: N802 - see above
        oauth = _OAuth(
            url=url, consumer_key=self.consumer_key, consumer_secret=self.consumer_secret,
            version=self.version, method=method, oauth_timestamp=int(time.time()),
        )  # fmt: skip
        return str(oauth.get_oauth_url())

    def _API__request(  # noqa: N802 - the name the package's methods call
        self, method: str, endpoint: str, data: Any, params: dict[str, Any] | None = None
    ) -> requests.Response:
        params = dict(params or {})
        url = self._API__get_url(endpoint)
        auth = None
        if self.is_ssl and not self.query_string_auth:
            auth = requests.auth.HTTPBasicAuth(self.consumer_key, self.consumer_secret)
        elif self.is_ssl:
            params.update(consumer_key=self.consumer_key, consumer_secret=self.consumer_secret)
        else:  # OAuth 1.0a: the signed URL carries every parameter
            url = self._API__get_oauth_url(f"{url}?{urlencode(params)}", method)
            params = {}
        headers = {"user-agent": self.user_agent, "accept": "application/json"}
        body = None
        if data is not None:
            body = json.dumps(data, ensure_ascii=False).encode()
            headers["content-type"] = "application/json;charset=utf-8"
        return self.session.request(
            method, url, params=params, data=body, headers=headers, auth=auth,
            timeout=self.timeout, verify=self.verify_ssl, allow_redirects=False,
        )  # fmt: skip


class WooClient:
    def __init__(
        self,
        config: WooStoreConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        before_call: Callable[[], None] = lambda: None,
        on_query_string_auth: Callable[[], None] = lambda: None,
    ) -> None:
        """`before_call` runs before every HTTP call (to end the caller's transaction);
        `on_query_string_auth` once the store is found to need its keys in the query string
        (to remember that for next time)."""
        self.config = config
        self.sleep = sleep
        self.before_call = before_call
        self.on_query_string_auth = on_query_string_auth
        self.api = _StoreAPI(
            url=config.url,
            consumer_key=config.consumer_key,
            consumer_secret=config.consumer_secret,
            version="wc/v3",
            timeout=config.timeout,
            user_agent=config.user_agent,
            query_string_auth=config.query_string_auth,
            session=store_session(allow_private=config.allow_private),
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
        signatures = len(RETRY_DELAYS)
        trying_query_string = False
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
            if _signature_refused(response) and signatures > 0:
                signatures -= 1  # signed again, with a new nonce and the time now
                continue
            if response.status_code == 401 and not trying_query_string and self._basic_auth:
                # the store's web server may have dropped the Authorization header: once,
                # try the keys in the query string
                self.api.query_string_auth = trying_query_string = True
                continue
            if trying_query_string:
                if response.status_code == 401:
                    self.api.query_string_auth = False
                elif response.status_code < 300:
                    self.on_query_string_auth()
            return _result(response, method)

    @property
    def _basic_auth(self) -> bool:
        return bool(self.api.is_ssl and not self.api.query_string_auth)

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
        except PrivateAddressRefused as error:
            raise PermanentError(f"the store cannot be called: {error}") from None
        except requests.ConnectTimeout:
            raise TransientError("could not reach the store (connect timeout)") from None
        except requests.ConnectionError as error:
            if _never_connected(error):
                raise TransientError(f"could not reach the store: {_reason(error)}") from None
            raise TransientError(
                f"no complete answer from the store: {type(error).__name__}", uncertain=True
            ) from None
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

    def rows(self, endpoint: str, params: Mapping[str, Any] | None, offset: int) -> WooResponse:
        """Up to 100 records of a collection from position `offset`."""
        return self.request(
            "GET", endpoint, params={**(params or {}), "offset": offset, "per_page": MAX_PER_PAGE}
        )

    def iterate(
        self, endpoint: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of a collection, page after page."""
        number = 1
        while True:
            response = self.page(endpoint, params, number)
            yield from _records(response.data)
            if response.is_last_page(number):
                return
            number += 1

    def order(self, order_id: int | str) -> dict[str, Any]:
        return _record(self.get(f"orders/{order_id}"))

    def refunds(self, order_id: int | str) -> list[dict[str, Any]]:
        return list(self.iterate(f"orders/{order_id}/refunds"))

    def customer(self, customer_id: int | str) -> dict[str, Any]:
        return _record(self.get(f"customers/{customer_id}"))

    def product(self, product_id: int | str) -> dict[str, Any]:
        return _record(self.get(f"products/{product_id}"))

    def variations(self, product_id: int | str) -> list[dict[str, Any]]:
        return list(self.iterate(f"products/{product_id}/variations"))

    def tax_rates(self) -> list[dict[str, Any]]:
        return list(self.iterate("taxes"))

    def payment_gateways(self) -> list[dict[str, Any]]:
        return _records(self.get("payment_gateways"))

    def system_status(self, fields: tuple[str, ...]) -> dict[str, Any]:
        """Only `fields` (`environment.version`…): the whole report is slow to build."""
        return _record(self.get("system_status", {"_fields": ",".join(fields)}))

    def setting(self, group: str, option: str) -> Any:
        """The value of one store setting (`tax`, `woocommerce_prices_include_tax`)."""
        return _record(self.get(f"settings/{group}/{option}")).get("value")

    def webhooks(self) -> list[dict[str, Any]]:
        return list(self.iterate("webhooks"))

    # -- writing -------------------------------------------------------------------------

    def add_order_note(
        self, order_id: int | str, note: str, *, customer_note: bool = False
    ) -> dict[str, Any]:
        data = {"note": note, "customer_note": customer_note}
        return _record(self.request("POST", f"orders/{order_id}/notes", data=data).data)

    def set_order_status(self, order_id: int | str, status: str) -> dict[str, Any]:
        return _record(self.request("PUT", f"orders/{order_id}", data={"status": status}).data)

    def create_webhook(
        self, *, name: str, topic: str, delivery_url: str, secret: str
    ) -> dict[str, Any]:
        data = {
            "name": name, "topic": topic, "delivery_url": delivery_url, "secret": secret,
            "status": "active",
        }  # fmt: skip
        return _record(self.request("POST", "webhooks", data=data).data)

    def update_webhook(self, webhook_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        return _record(self.request("PUT", f"webhooks/{webhook_id}", data=data).data)

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


def _signature_refused(response: requests.Response) -> bool:
    """The store refused an OAuth 1.0a signature for its nonce or timestamp."""
    if response.status_code != 401:
        return False
    try:
        data = untrusted.loads(response.content)
    except untrusted.UntrustedJSONError:
        return False
    return isinstance(data, dict) and data.get("message") in SIGNATURE_REFUSALS


def _never_connected(error: requests.ConnectionError) -> bool:
    """The request certainly never left: no address, or the connection was refused."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)  # NameResolutionError is one


def _reason(error: requests.ConnectionError) -> str:
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return type(reason or error).__name__


def _records(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PermanentError("the store answered a list request with something else")
    return data


def _record(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PermanentError("the store answered with something other than a JSON object")
    return data


def _result(response: requests.Response, method: str) -> WooResponse:
    status = response.status_code
    if 300 <= status < 400:
        raise PermanentError(
            f"the store redirects to {response.headers.get('Location', 'another address')}: "
            "use the address it redirects to as the store's URL",
            status=status,
        )
    uncertain = method == "POST" and status >= 500 and status != 503  # a proxy's 502 or 504
    try:  # may hide a write that was done
        data = untrusted.loads(response.content) if response.content else None
    except untrusted.UntrustedJSONError:
        kind = response.headers.get("Content-Type", "")
        message = (
            f"the store answered {status} with {kind or 'something'} instead of JSON: a "
            "security plugin, maintenance mode or a proxy may be in the way of the REST API"
        )
        if status >= 500:
            raise TransientError(message, status=status, uncertain=uncertain) from None
        raise PermanentError(message, status=status) from None
    if status < 300:
        return WooResponse(status=status, data=data, headers=response.headers)
    code, message = _error(data, status)
    if status == 401 and message in SIGNATURE_REFUSALS:
        raise TransientError(
            f"the store refused our signed calls: {message} Is the store's clock, or this "
            "server's, more than 15 minutes wrong?",
            status=status,
        )
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
        raise TransientError(
            f"the store failed ({status}): {message}", status=status, uncertain=uncertain
        )
    if status == 400:
        raise ValidationError(
            f"the store refused the request: {message}", messages=[message], status=400
        )
    raise PermanentError(f"the store answered {status}: {message} ({code})", status=status)


def _error(data: Any, status: int) -> tuple[str, str]:
    if isinstance(data, dict):
        return str(data.get("code") or "unknown"), str(data.get("message") or f"HTTP {status}")
    return "unknown", json.dumps(data)[:200] if data is not None else f"HTTP {status}"

"""Webhook processing as WooCommerce 7.4 does it: Action Scheduler queue, delivery, failures.

Sourced (class-wc-webhook.php, wc-webhook-functions.php): a change queues one action per
(webhook, resource id) unless one is still pending; the payload is built when the action
runs, not when the change happened; deliveries are not retried; a 2xx, 301 or 302 resets the
failure count, anything else (or a transport error) either increments it or, once it is above
``max_delivery_failures``, disables the webhook, so the 7th consecutive failure (with the
default 5) disables it. The ping (``webhook_id=N``, unsigned, no ``X-WC`` headers) never
touches the failure count. Queued actions run even if the webhook was paused since.
Assumed: the sandbox runs due actions one at a time on one thread after
``delivery_delay_seconds``; the ping's Content-Type is ``application/x-www-form-urlencoded``.
"""

from __future__ import annotations

import heapq
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import StoreConfig
from ..php import phpjson
from ..store.database import Store
from ..store.models import Webhook
from . import delivery

PayloadBuilder = Callable[[Webhook, int], Any]
PING_TIMEOUT_SECONDS = 5.0
"""``wp_safe_remote_post``'s default timeout (the ping sets none)."""


@dataclass(order=True)
class _Action:
    due: float
    seq: int
    webhook_id: int = field(compare=False)
    resource_id: int = field(compare=False)


class Dispatcher:
    """Queues and delivers webhooks; keeps a log of every attempt."""

    def __init__(self, store: Store, config: Callable[[], StoreConfig]) -> None:
        self._store = store
        self._config = config
        self._payload: PayloadBuilder = lambda _w, _i: {}
        self._salt = secrets.token_bytes(32)
        self._cond = threading.Condition()
        self._heap: list[_Action] = []
        self._pending: set[tuple[int, int]] = set()
        self._seq = itertools.count(1)
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        store.subscribe(self.on_change)

    def use_payload_builder(self, builder: PayloadBuilder) -> None:
        """Set how payloads are built (the current REST representation)."""
        self._payload = builder

    def on_change(self, resource: str, event: str, resource_id: int) -> None:
        """``WC_Webhook::process``: queue a delivery for every active matching webhook."""
        topic = f"{resource}.{event}"
        with self._store.lock:
            hooks = [
                w.id
                for w in self._store.webhooks.values()
                if w.status == "active" and w.topic == topic
            ]
        for webhook_id in hooks:
            self.schedule(webhook_id, resource_id)

    def schedule(self, webhook_id: int, resource_id: int) -> bool:
        """Queue an action unless one is pending for the same webhook and resource."""
        with self._cond:
            if self._closed or (webhook_id, resource_id) in self._pending:
                return False
            self._pending.add((webhook_id, resource_id))
            due = time.monotonic() + self._config().delivery_delay_seconds
            heapq.heappush(self._heap, _Action(due, next(self._seq), webhook_id, resource_id))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wc-webhooks", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return True

    def pending(self) -> list[dict[str, Any]]:
        """Queued actions, soonest first."""
        with self._cond:
            now = time.monotonic()
            return [
                {"webhook_id": a.webhook_id, "arg": a.resource_id, "due_in": round(a.due - now, 3)}
                for a in sorted(self._heap)
            ]

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0].due > time.monotonic()):
                    timeout = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                action = heapq.heappop(self._heap)
                self._pending.discard((action.webhook_id, action.resource_id))
            self.deliver(action.webhook_id, action.resource_id, "action")

    def deliver(
        self, webhook_id: int, resource_id: int, origin: str, body: bytes | None = None
    ) -> dict[str, Any] | None:
        """``WC_Webhook::deliver`` now; ``body`` overrides the built payload (storms)."""
        with self._store.lock:
            webhook = self._store.webhooks.get(webhook_id)
            if webhook is None:
                return None
            if body is None:
                body = phpjson.encode(self._payload(webhook, resource_id))
            config = self._config()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": delivery.user_agent(
                    config.woocommerce_version, config.wordpress_version
                ),
                "X-WC-Webhook-Source": self._store.home_url,
                "X-WC-Webhook-Topic": webhook.topic,
                "X-WC-Webhook-Resource": webhook.resource,
                "X-WC-Webhook-Event": webhook.event,
                "X-WC-Webhook-Signature": delivery.signature(body, webhook.secret),
                "X-WC-Webhook-ID": str(webhook.id),
                "X-WC-Webhook-Delivery-ID": delivery.delivery_id(
                    webhook.id, self._salt, time.time()
                ),
            }
            url = webhook.delivery_url
        outcome = self._send(url, body, headers, config, config.delivery_timeout_seconds)
        with self._store.lock:
            after = self._count(webhook_id, outcome.code, config.max_delivery_failures)
        return self._record(
            {
                "kind": origin,
                "webhook_id": webhook_id,
                "topic": headers["X-WC-Webhook-Topic"],
                "resource_id": resource_id,
                "delivery_id": headers["X-WC-Webhook-Delivery-ID"],
                "url": url,
                "request_headers": headers,
                "body": body.decode(),
                **self._outcome_fields(outcome),
                **after,
            }
        )

    def ping(self, webhook: Webhook) -> dict[str, Any]:
        """``WC_Webhook::deliver_ping``: unsigned ``webhook_id=N``; only 200 counts as success."""
        config = self._config()
        body = f"webhook_id={webhook.id}".encode()
        headers = {
            "User-Agent": delivery.user_agent(config.woocommerce_version, config.wordpress_version),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        outcome = self._send(webhook.delivery_url, body, headers, config, PING_TIMEOUT_SECONDS)
        return self._record(
            {
                "kind": "ping",
                "webhook_id": webhook.id,
                "topic": webhook.topic,
                "resource_id": None,
                "delivery_id": None,
                "url": webhook.delivery_url,
                "request_headers": headers,
                "body": body.decode(),
                **self._outcome_fields(outcome),
                "success": outcome.status == 200,
            }
        )

    def _send(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        config: StoreConfig,
        timeout: float,
    ) -> delivery.Outcome:
        if config.fail_all_deliveries:
            return delivery.Outcome(None, "cURL error 7: Failed to connect (sandbox switch)", "", 0)
        if config.enforce_safe_urls:
            reason = delivery.unsafe_reason(url, self._store.home_url)
            if reason:
                return delivery.Outcome(None, reason, "", 0)
        return delivery.post(url, body, headers, timeout)

    @staticmethod
    def _outcome_fields(outcome: delivery.Outcome) -> dict[str, Any]:
        return {
            "status": outcome.status,
            "error": outcome.error,
            "response_body": outcome.body,
            "seconds": outcome.seconds,
            "time": time.time(),
        }

    def _count(self, webhook_id: int, code: int, max_failures: int) -> dict[str, Any]:
        """``log_delivery`` / ``failed_delivery``."""
        webhook = self._store.webhooks.get(webhook_id)
        success = 200 <= code < 303
        if webhook is not None:
            if success:
                webhook.failure_count = 0
            elif webhook.failure_count > max_failures:
                webhook.status = "disabled"
            else:
                webhook.failure_count += 1
        return {
            "success": success,
            "failure_count": webhook.failure_count if webhook else None,
            "webhook_status": webhook.status if webhook else None,
        }

    def _record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._log_lock:
            entry["seq"] = len(self._log) + 1
            self._log.append(entry)
        return entry

    def log(self) -> list[dict[str, Any]]:
        """Every delivery and ping so far."""
        with self._log_lock:
            return list(self._log)

    def reset(self) -> None:
        """Drop queued actions and the log."""
        with self._cond:
            self._heap.clear()
            self._pending.clear()
        with self._log_lock:
            self._log.clear()

    def close(self) -> None:
        """Stop the delivery thread (queued actions are dropped)."""
        with self._cond:
            self._closed = True
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout=10)

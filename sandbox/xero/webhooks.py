"""Signed webhook delivery and the intent-to-receive (ITR) check.

Sourced (notes §9, xero-webhooks.yaml, developer.xero.com/documentation/webhooks): payload
``{events, firstEventSequence, lastEventSequence, entropy}``; events carry ``resourceUrl,
resourceId, eventDateUtc, eventType (CREATE|UPDATE), eventCategory, tenantId, tenantType``;
CREDITNOTE events add ``data: {Type, Status}``; header ``x-xero-signature`` =
base64(HMAC-SHA256(raw body, key)); ITR sends empty-event payloads, some correctly and some
incorrectly signed, expecting 200 with no body for good ones and 401 for bad ones within 5 s.

Assumed: events are batched for 100 ms; a failed delivery is retried 3 more times after
0.2, 0.5 and 1 s (Xero retries for up to 24 h); ``resourceUrl`` points at this sandbox so a
receiver can follow it; ITR sends 4 payloads (2 good, 2 bad) in random order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from .config import SandboxConfig
from .formats import iso_utc, now_utc

_BATCH_SECONDS = 0.1
_RETRY_DELAYS = (0.2, 0.5, 1.0)
_TIMEOUT_SECONDS = 5.0
_STOP = object()


def sign(body: bytes, key: str) -> str:
    """Xero's ``x-xero-signature`` for a raw body."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def _entropy() -> str:
    return secrets.token_hex(10).upper()


class WebhookDispatcher:
    """Queues events and delivers them from one background thread."""

    def __init__(self, config: Callable[[], SandboxConfig]) -> None:
        self._config = config
        self._queue: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._sequence = 0
        self._deliveries: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Forget the delivery log."""
        with self._lock:
            self._deliveries.clear()

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery attempt so far."""
        with self._lock:
            return list(self._deliveries)

    def publish(
        self,
        category: str,
        event_type: str,
        tenant_id: str,
        resource_url: str,
        resource_id: str,
        data: dict[str, Any] | None,
    ) -> None:
        """Queue one event (ignored when no webhook URL and key are configured)."""
        config = self._config()
        if not (config.webhook_url and config.webhook_key):
            return
        event: dict[str, Any] = {
            "resourceUrl": resource_url,
            "resourceId": resource_id,
            "eventDateUtc": iso_utc(now_utc()),
            "eventType": event_type,
            "eventCategory": category,
            "tenantId": tenant_id,
            "tenantType": "ORGANISATION",
        }
        if data is not None:
            event["data"] = data
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="xero-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(event)

    def close(self) -> None:
        """Stop the delivery thread after what is queued."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            deadline = time.monotonic() + _BATCH_SECONDS
            stop = False
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._deliver(batch)
            if stop:
                return

    def _deliver(self, events: list[dict[str, Any]]) -> None:
        config = self._config()
        with self._lock:
            first = self._sequence + 1
            self._sequence += len(events)
            last = self._sequence
        payload = {
            "events": events,
            "firstEventSequence": first,
            "lastEventSequence": last,
            "entropy": _entropy(),
        }
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "x-xero-signature": sign(body, config.webhook_key),
        }
        for attempt, delay in enumerate((0.0, *_RETRY_DELAYS), start=1):
            time.sleep(delay)
            status = _post(config.webhook_url, body, headers)
            with self._lock:
                self._deliveries.append(
                    {"attempt": attempt, "status": status, "payload": payload, "time": time.time()}
                )
            if status is not None and 200 <= status < 300:
                return

    def intent_to_receive(self) -> dict[str, Any]:
        """Run Xero's ITR check against the configured URL and report each probe."""
        config = self._config()
        if not (config.webhook_url and config.webhook_key):
            return {"passed": False, "reason": "webhook_url and webhook_key must be configured"}
        signs = [True, True, False, False]
        secrets.SystemRandom().shuffle(signs)
        probes = []
        for correctly_signed in signs:
            body = json.dumps(
                {
                    "events": [],
                    "lastEventSequence": 0,
                    "firstEventSequence": 0,
                    "entropy": _entropy(),
                }
            ).encode()
            key = config.webhook_key if correctly_signed else secrets.token_urlsafe(24)
            headers = {"Content-Type": "application/json", "x-xero-signature": sign(body, key)}
            started = time.monotonic()
            try:
                response = requests.post(
                    config.webhook_url, data=body, headers=headers, timeout=_TIMEOUT_SECONDS
                )
                status, content = response.status_code, response.content
            except requests.RequestException as exc:
                status, content = None, str(exc).encode()
            elapsed = time.monotonic() - started
            expected = 200 if correctly_signed else 401
            ok = status == expected and elapsed <= _TIMEOUT_SECONDS
            if correctly_signed:
                ok = ok and content == b""
            probes.append(
                {
                    "correctly_signed": correctly_signed,
                    "status": status,
                    "expected_status": expected,
                    "body_length": len(content),
                    "seconds": round(elapsed, 3),
                    "ok": ok,
                }
            )
        return {"passed": all(p["ok"] for p in probes), "probes": probes}


def _post(url: str, body: bytes, headers: dict[str, str]) -> int | None:
    try:
        return requests.post(url, data=body, headers=headers, timeout=_TIMEOUT_SECONDS).status_code
    except requests.RequestException:
        return None

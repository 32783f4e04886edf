"""GET /metrics (Prometheus) and GET /health/stores[/<id>] (JSON, for scripts).

Both are read by machines, never by store admins. With `monitoring.metrics_token` set they
need `Authorization: Bearer <token>` (compared in constant time; 401 otherwise); without one
only clients in `monitoring.metrics_networks` may read them (403 otherwise). The client is
the address ProxyFix gives (`server.proxy_count`): a request carrying forwarding headers
while no proxy is trusted came through a proxy whose client is unknown, and is refused.

wooxero runs several web processes and workers, so nothing is counted in this process: the
metrics are read at scrape time from the database (grouped queries) and Redis (RQ's
registries, the Xero limiter's windows), the truth every process shares.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from server.connections.xero import access as xero_access
from server.extensions import current_config, db
from server.inbound import intake
from server.jobs import monitor
from server.stores.health import BACKLOG, StoreHealth, store_health

bp = Blueprint("monitoring", __name__)
logger = logging.getLogger(__name__)

FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wooxero monitoring"'
    return response


@bp.before_request
def _allowed() -> Response | None:
    """None when the client may read; otherwise the refusal, in words."""
    settings = current_config()
    token = settings.monitoring.metrics_token.get_secret_value()
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _error(401, "send the monitoring token: Authorization: Bearer <token>")
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _error(401, "the bearer token is not monitoring.metrics_token")
        return None
    if not settings.server.proxy_count and any(h in request.headers for h in FORWARDING_HEADERS):
        return _error(
            403,
            "this request came through a proxy, but server.proxy_count is 0, so its client "
            "is unknown: set server.proxy_count, or monitoring.metrics_token",
        )
    client = _address(request.remote_addr)
    networks = [ipaddress.ip_network(n) for n in settings.monitoring.metrics_networks]
    if client is None or not any(client in network for network in networks):
        return _error(
            403,
            f"{request.remote_addr or 'this client'} is not in monitoring.metrics_networks; "
            "set monitoring.metrics_token to read from elsewhere",
        )
    return None


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@bp.get("/metrics")
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WooxeroCollector())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@bp.get("/health/stores")
def stores_health() -> Response:
    return jsonify(stores=[_as_json(health) for health in store_health()])


@bp.get("/health/stores/<public_id>")
def one_store_health(public_id: str) -> Response:
    found = store_health(public_id)
    if not found:
        return _error(404, f"no store has the id {public_id!r}")
    return jsonify(_as_json(found[0]))


def _as_json(health: StoreHealth) -> dict[str, Any]:
    return {
        "id": health.public_id,
        "name": health.name,
        "url": health.url,
        "state": health.state.value,
        "subscription": health.subscription.value if health.subscription else None,
        "xero": health.xero.value,
        "woocommerce": health.woocommerce.value,
        "last_synced_at": health.last_synced_at.isoformat() if health.last_synced_at else None,
        "orders": {"waiting": health.waiting, "held": health.held, "failed": health.failed},
        "events": {"pending": health.pending_events, "failed": health.failed_events},
        "problems": [problem.value for problem in health.problems],
    }


class WooxeroCollector:
    """Reads every metric at scrape time; a source that does not answer (the database, RQ's
    queues in Redis, the Xero limiter's windows in Redis) is reported by
    `wooxero_source_up` while the others' metrics are still given."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "wooxero_source_up",
            "Whether a source of these metrics answered (1) or not (0)",
            labels=["source"],
        )
        for source, read in (
            ("database", _database_metrics),
            ("queues", _queue_metrics),
            ("xero_limits", _xero_limit_metrics),
        ):
            try:
                found = list(read())
            except (SQLAlchemyError, RedisError, OSError) as error:
                logger.warning("metrics: cannot read %s: %s", source, error)
                db.session.rollback()  # a failed statement must not fail the next source's
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            yield from found
        yield up


def _gauge(name: str, text: str, labels: list[str], rows: Iterable[tuple[Any, ...]]) -> Metric:
    """A gauge from (label values…, value) rows."""
    family = GaugeMetricFamily(name, text, labels=labels)
    for *values, value in rows:
        family.add_metric([str(v) for v in values], value)
    return family


def _database_metrics() -> Iterator[Metric]:
    yield _gauge(
        "wooxero_inbound_events",
        "Inbound events kept (webhook deliveries, polled records, Xero events) by source and "
        "status; settled ones are deleted after retention.inbound_event_days",
        ["source", "status"],
        ((s.value, t.value, n) for (s, t), n in sorted(intake.stored_counts().items())),
    )
    stores = store_health()
    yield _gauge(
        "wooxero_store_info",
        "A store (1), with its name, state, subscription and connections' status",
        ["store", "name", "state", "subscription", "xero", "woocommerce"],
        ((h.public_id, h.name, h.state.value, h.subscription.value if h.subscription else "",
          h.xero.value, h.woocommerce.value, 1) for h in stores),
    )  # fmt: skip
    yield _gauge(
        "wooxero_store_outbox_entries",
        "A store's orders not yet all in Xero, by outbox status",
        ["store", "status"],
        ((h.public_id, status.value, h.outbox[status]) for h in stores for status in BACKLOG),
    )
    yield _gauge(
        "wooxero_store_inbound_events",
        "A store's inbound events still owed work (pending) or given up on (failed)",
        ["store", "status"],
        (row for h in stores
         for row in ((h.public_id, "pending", h.pending_events),
                     (h.public_id, "failed", h.failed_events))),
    )  # fmt: skip
    yield _gauge(
        "wooxero_store_last_sync_timestamp_seconds",
        "When a store's latest successful sync record began (stores with one)",
        ["store"],
        ((h.public_id, h.last_synced_at.timestamp()) for h in stores if h.last_synced_at),
    )
    yield _gauge(
        "wooxero_store_problem",
        "A store's open problem (1), by short code, as GET /health/stores gives it",
        ["store", "problem"],
        ((h.public_id, problem.value, 1) for h in stores for problem in h.problems),
    )


def _queue_metrics() -> Iterator[Metric]:
    yield _gauge(
        "wooxero_jobs",
        "Jobs per queue by RQ state (finished, failed and canceled ones until their TTL ends)",
        ["queue", "state"],
        ((q.name, state, count) for q in monitor.queue_stats()
         for state, count in q.by_state().items()),
    )  # fmt: skip
    yield _gauge("wooxero_workers", "RQ workers registered", [], [(monitor.worker_count(),)])
    yield _gauge(
        "wooxero_schedulers",
        "Cron schedulers alive (exactly one should be)",
        [],
        [(len(monitor.schedulers()),)],
    )


def _xero_limit_metrics() -> Iterator[Metric]:
    organisations = xero_access.limit_usage()
    labels = ["tenant", "organisation"]
    yield _gauge(
        "wooxero_xero_calls",
        "Calls to a Xero organisation in the limiter's sliding window (minute or day)",
        [*labels, "window"],
        (row for o in organisations
         for row in ((o.tenant_id, o.name, "minute", o.usage.minute),
                     (o.tenant_id, o.name, "day", o.usage.day))),
    )  # fmt: skip
    yield _gauge(
        "wooxero_xero_calls_remaining",
        "Calls Xero's limit leaves a Xero organisation in the sliding window (minute or day)",
        [*labels, "window"],
        (row for o in organisations
         for row in ((o.tenant_id, o.name, "minute", o.usage.minute_remaining),
                     (o.tenant_id, o.name, "day", o.usage.day_remaining))),
    )  # fmt: skip
    yield _gauge(
        "wooxero_xero_calls_in_flight",
        "Calls to a Xero organisation waiting for their answer",
        labels,
        ((o.tenant_id, o.name, o.usage.in_flight) for o in organisations),
    )
    yield _gauge(
        "wooxero_xero_blocked_seconds",
        "Seconds a 429 still blocks every call to a Xero organisation",
        labels,
        ((o.tenant_id, o.name, o.usage.blocked_seconds) for o in organisations),
    )

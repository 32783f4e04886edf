"""POST /webhooks/woocommerce/<store>: a store's deliveries, answered in front of Flask's
request handling (`WooCommerceIntake`, a WSGI dispatcher `create_app` puts around the app).

A delivery needs none of what the app does for every request — no session, sign-in, CSRF
token, rate limit, operator log or request context — and intake runs at the database's
speed only without them: a request here gets an app context and the security headers every
answer carries, and nothing else.

Checked in this order: a body over woocommerce.max_webhook_bytes → 413; an unknown store →
404; WooCommerce's unsigned ping (`webhook_id=N`, no X-WC-* header) → 200; a missing or
wrong signature → 401; a body that is not a delivery → 400. Nothing is stored in any of
those cases. A valid delivery is committed as an inbound event, in one INSERT, before the
200, and its record is noted for its job in one Redis round trip; the job sorts out repeats;
a paused store's events wait for it to resume. The store and its secret are read, and the
delivery stored, on one database connection outside any transaction: a statement of its own
on each (on SQLite the write lock is held for the INSERT alone). On PostgreSQL, once a
process has read a store, its next deliveries take one statement: checked against the store
as read, each is inserted on condition that the store's public id, state and stored secret
are unchanged; when they are not, nothing is stored and the store is read again as above.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify
from redis.exceptions import RedisError
from sqlalchemy import Connection
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound
from werkzeug.wsgi import get_path_info

from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce.access import WebhookTarget
from server.connectors.woocommerce.webhooks import (
    Delivery,
    InvalidDelivery,
    is_ping,
    parse_delivery,
    signature_is_valid,
)
from server.database import autocommit_connection
from server.extensions import current_config
from server.inbound import intake as woo_intake
from server.jobs.tasks.inbound import woo_records_delivered
from server.models import EventStatus
from server.web import security_headers
from server.web.inputs import CappedRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)
# Where a store's next deliveries take one statement: a round trip saved is worth it on a
# server; on SQLite a lookup inside the INSERT would hold the one write lock longer.
ONE_STATEMENT_DIALECTS = frozenset({"postgresql"})


class WooCommerceIntake:
    """WSGI middleware: POST /webhooks/woocommerce/<store> to `deliver`, every other request
    (another path, a path with more segments or a U+0000) to the app."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.notes = DeliveryNotes()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = get_path_info(environ)
        public_id = path.removeprefix(woo_access.WEBHOOK_PATH)
        if public_id == path or not public_id or "/" in public_id or "\x00" in public_id:
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            response = self._answer(CappedRequest(environ), public_id)
        return response(environ, start_response)

    def _answer(self, request: CappedRequest, public_id: str) -> Response:
        try:
            if request.method != "POST":
                raise MethodNotAllowed(valid_methods=["POST"])
            response = self.deliver(request, public_id)
        except HTTPException as error:
            response = error.get_response(request.environ)  # type: ignore[assignment]
        except Exception:
            if self.app.testing or self.app.debug:
                raise
            logger.exception("Exception on %s [POST]", request.path)
            response = InternalServerError().get_response(request.environ)  # type: ignore[assignment]
        return security_headers(response)

    def deliver(self, request: CappedRequest, public_id: str) -> Response:
        """Check, store and note one delivery (HTTPException for 413 and 404). A delivery
        that checks out against the store as this process read it last is stored in one
        statement, on condition that the store is unchanged; any other is checked against
        the store read anew."""
        request.max_content_length = current_config().woocommerce.max_webhook_bytes
        raw = request.get_data(cache=False)  # 413 if larger
        signature = request.headers.get("X-WC-Webhook-Signature")
        with autocommit_connection() as connection:
            answer = self._as_remembered(connection, request, raw, signature, public_id)
            if answer is not None:
                return answer
            target = woo_access.webhook_target(connection, public_id)
            if target is None:
                raise NotFound()
            if is_ping(raw, request.headers):
                return _empty(200)
            if not signature_is_valid(raw, signature, target.secret):
                return _empty(401)
            try:
                delivery = parse_delivery(raw, request.headers)
            except InvalidDelivery as error:
                logger.warning(
                    "store %s sent a signed delivery that cannot be read: %s",
                    target.store_id, error,
                )  # fmt: skip
                refusal = jsonify(error=f"not a WooCommerce delivery: {error}")
                refusal.status_code = 400
                return refusal
            status = woo_intake.receive(connection, target.store_id, delivery)
        return self._stored(target, delivery, status)

    def _as_remembered(
        self,
        connection: Connection,
        request: CappedRequest,
        raw: bytes,
        signature: str | None,
        public_id: str,
    ) -> Response | None:
        """The delivery stored against the store as this process read it last, if it checks
        out and the store is unchanged; None otherwise (nothing stored). On SQLite, where
        the write lock is the bottleneck, the store is read outside it instead."""
        if connection.dialect.name not in ONE_STATEMENT_DIALECTS:
            return None
        remembered = woo_access.remembered_target(public_id)
        if remembered is None or is_ping(raw, request.headers):
            return None
        if not signature_is_valid(raw, signature, remembered.secret):
            return None
        try:
            delivery = parse_delivery(raw, request.headers)
        except InvalidDelivery:
            return None  # refused once the store is read anew
        status = woo_intake.receive_if_unchanged(connection, public_id, remembered, delivery)
        return None if status is None else self._stored(remembered, delivery, status)

    def _stored(self, target: WebhookTarget, delivery: Delivery, status: EventStatus) -> Response:
        """The answer to a stored delivery, once its record is noted for its job."""
        if status is EventStatus.PENDING and target.active:
            self.notes.send((target.store_id, delivery.resource, delivery.resource_id))
        return _empty(200)


def _empty(status: int) -> Response:
    return Response(b"", status=status)


class DeliveryNotes:
    """The records delivered, noted for their jobs (`woo_records_delivered`) by whichever
    request reaches Redis next, for every request waiting then: under load one round trip
    serves many deliveries, and still no request answers before its note was sent. If Redis
    does not answer, the deliveries are stored all the same: the sweeper enqueues their jobs
    later."""

    def __init__(self) -> None:
        self._waiting: list[tuple[int, str, str]] = []
        self._waiting_lock = threading.Lock()
        self._sending = threading.Lock()

    def send(self, record: tuple[int, str, str]) -> None:
        with self._waiting_lock:
            self._waiting.append(record)
        with self._sending:  # once held, any batch taken before this one has been sent
            with self._waiting_lock:
                batch, self._waiting = self._waiting, []
            if not batch:  # a request before this one sent it
                return
            try:
                woo_records_delivered(batch)
            except RedisError as error:
                logger.warning("could not note %d deliveries for their jobs: %s", len(batch), error)

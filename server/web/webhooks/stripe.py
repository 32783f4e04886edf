"""POST /webhooks/stripe: Stripe's signed events about subscriptions.

With another provider configured: 404. A Stripe-Signature that does not verify with
`billing.stripe_webhook_secret` (forged), or was made more than
`billing.stripe_webhook_tolerance_seconds` ago (replayed): 400 with the reason, nothing
stored. A signed body that is not an event: 400. An event is stored and applied in one
transaction before the 200, once per event id (a redelivery is answered 200 and changes
nothing); one about no store or plan here is kept as ignored and answered 200 too, so Stripe
stops sending it. Then the store's waiting orders go, if it may sync again."""

from __future__ import annotations

import logging

from flask import Response, abort, jsonify, request
from redis.exceptions import RedisError

from server.billing.providers import get_provider
from server.billing.providers import stripe as stripe_provider
from server.billing.providers.stripe_events import receive
from server.extensions import csrf
from server.jobs.tasks import billing as billing_jobs
from server.web.webhooks import bp

logger = logging.getLogger(__name__)


@bp.post("/stripe")
@csrf.exempt
def stripe() -> Response | tuple[Response, int]:
    provider = get_provider()
    if not isinstance(provider, stripe_provider.StripeProvider):
        abort(404, "Stripe is not this server's payment provider (billing.provider)")
    try:
        event = provider.verified_event(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except stripe_provider.InvalidEventError as error:
        logger.warning("refused a Stripe webhook: %s", error)
        return jsonify(error=str(error)), 400
    received = receive(event)
    if received.applied and received.store_id is not None:
        try:
            billing_jobs.resume_if_entitled(received.store_id)
        except RedisError as error:  # the every-minute flush of each store sends them
            logger.warning("could not enqueue store %s's flush: %s", received.store_id, error)
    return jsonify(received=event.id, applied=received.applied, note=received.note)

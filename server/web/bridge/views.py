"""The bridge endpoints. Every answer is JSON; every call but activation is signed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

from flask import Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from server.connections.woocommerce import connect as woo_connect
from server.extensions import CONFIG_KEY, csrf, current_config, limiter
from server.inbound import webhooks as woo_webhooks
from server.jobs.tasks import inbound, push, stores
from server.models import Store
from server.stores import lifecycle as store_lifecycle
from server.untrusted import INT32_MAX
from server.web import inputs
from server.web.bridge import bp, embeds, signing
from server.web.dashboard.pages import TITLES

Answer = tuple[dict[str, Any], int]


def _with_keys(store: Store, answer: dict[str, Any]) -> Answer:
    """A signed call's answer: every one names the store's WooCommerce keys of ours, so the
    plugin deletes replaced ones whichever page it opens (and all of them on uninstall)."""
    return {**answer, "api_keys": woo_connect.granted_keys(store).as_json()}, 200


class ActivationBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    site_url: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)
    ]
    admin_email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    ]
    admin_username: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ]
    user_id: int = Field(gt=0, le=INT32_MAX)  # Store.wp_user_id is an INTEGER column
    challenge: Annotated[str, StringConstraints(pattern=r"^[A-Fa-f0-9]{32,128}$")]
    site_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    admin_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] = ""
    plugin_version: Annotated[str, StringConstraints(max_length=32)] = ""
    wp_version: Annotated[str, StringConstraints(max_length=32)] = ""
    wc_version: Annotated[str, StringConstraints(max_length=32)] = ""


class UninstallBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    erase: bool = False


class EmbedBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    target: str

    @field_validator("target")
    @classmethod
    def _a_page(cls, value: str) -> str:
        if value not in TITLES:
            raise ValueError(f"one of the dashboard's pages: {', '.join(TITLES)}")
        return value


def _errors(error: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in error.errors()}


def signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a call signed with the store's secret reaches `view` (as `g.store`)."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            g.store = signing.verify(request)
        except signing.SignatureError as error:
            return {"error": str(error)}, 401
        return view(*args, **kwargs)

    return checked


def _activation_limit() -> str:
    return current_config().bridge.activation_rate_limit


ACTIVATION_SLOTS = "wooxero.activation_slots"


@bp.record_once
def _activation_slots(state: BlueprintSetupState) -> None:
    """Each activation may wait bridge.challenge_timeout on the site it links: at most
    bridge.concurrent_activations of them wait at once in a process (fewer than its threads,
    see Config), so a burst of slow sites never holds every thread that serves the rest."""
    settings = state.app.extensions[CONFIG_KEY]
    slots = threading.BoundedSemaphore(settings.bridge.concurrent_activations)
    state.app.extensions[ACTIVATION_SLOTS] = slots


@bp.post("/activate")
@csrf.exempt
@limiter.limit(_activation_limit)
def activate() -> Answer | tuple[dict[str, Any], int, dict[str, str]]:
    try:
        fields = ActivationBody.model_validate(inputs.json_object())
    except ValidationError as error:
        return {"errors": _errors(error)}, 422
    consent = store_lifecycle.Consent(
        site_url=fields.site_url, admin_email=fields.admin_email,
        admin_username=fields.admin_username, wp_user_id=fields.user_id,
        challenge=fields.challenge, site_name=fields.site_name,
        plugin_version=fields.plugin_version, wp_version=fields.wp_version,
        wc_version=fields.wc_version, admin_url=fields.admin_url,
    )  # fmt: skip
    slots: threading.BoundedSemaphore = current_app.extensions[ACTIVATION_SLOTS]
    if not slots.acquire(blocking=False):
        busy = "the server is busy with other activations; try again in a moment"
        return {"error": busy}, 503, {"Retry-After": str(current_config().bridge.challenge_timeout)}
    try:
        activated = store_lifecycle.activate(consent)
    except store_lifecycle.ActivationError as error:
        return {"error": error.message}, error.status
    finally:
        slots.release()
    store = activated.store
    if activated.resumed:
        inbound.requeue_store_events.enqueue(store.id)  # what waited while paused is processed now
        push.flush.enqueue(store.id)
    return {
        "store_id": store.public_id,
        "signing_secret": activated.signing_secret,
        "state": store.state.value,
        "server_url": current_config().public_url,
    }, 200


@bp.post("/deactivate")
@csrf.exempt
@signed
def deactivate() -> Answer:
    store: Store = g.store
    store_lifecycle.deactivate(store)
    return _with_keys(store, {"state": store.state.value})


@bp.get("/status")
@signed
def status() -> Answer:
    return _with_keys(g.store, store_lifecycle.status(g.store))


@bp.post("/embed")
@csrf.exempt
@signed
def embed() -> Answer:
    try:
        fields = EmbedBody.model_validate(inputs.json_object(allow_empty=True))
    except ValidationError as error:
        return {"errors": _errors(error)}, 422
    token = embeds.issue(g.store, fields.target)
    return _with_keys(g.store, {"url": embeds.url(token), "expires_in": embeds.TOKEN_SECONDS})


@bp.post("/uninstall")
@csrf.exempt
@signed
def uninstall() -> Answer:
    try:
        fields = UninstallBody.model_validate(inputs.json_object(allow_empty=True))
    except ValidationError as error:
        return {"errors": _errors(error)}, 422
    store: Store = g.store
    store_lifecycle.uninstall(store, erase=fields.erase)
    # Named before the job that closes the connections forgets them: the plugin deletes the
    # keys and our webhooks in the store itself, at once.
    answer = _with_keys(
        store, {"state": "uninstalled", "erase": fields.erase, "webhooks": woo_webhooks.ours(store)}
    )
    stores.close_connections.enqueue(store.id, fields.erase)
    return answer


@bp.after_request
def not_stored(response: Response) -> Response:
    """Answers carry signing secrets, one-time URLs and store status: no cache keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Answer:
    return {"error": error.description or error.name}, error.code or 500


@bp.errorhandler(RedisError)
def redis_error(_error: RedisError) -> Answer:
    return {"error": "the server's Redis is unavailable; try again shortly"}, 503

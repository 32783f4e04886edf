"""A store's life as the bridge plugin drives it: activation (consent, then proof that the
caller controls the site, then a new signing secret and a trial), deactivation (paused:
deliveries are kept, nothing syncs), status, and uninstallation (webhooks removed, data kept
for the retention period or erased on request). Every state change is recorded."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.billing import entitlement, trial, usage
from server.connections import ConnectError
from server.connections.woocommerce import access as woo_access
from server.connections.woocommerce import connect as woo_connect
from server.connections.xero import access as xero_access
from server.connections.xero import connect as xero_connect
from server.connectors.base import AuthError, ConnectorError
from server.connectors.woocommerce import bridge, urls
from server.connectors.woocommerce.transport import store_session
from server.database import end_transaction
from server.extensions import current_config, db
from server.models import (
    ConnectionStatus,
    EventStatus,
    InboundEvent,
    OutboxEntry,
    OutboxStatus,
    Store,
    StoreState,
    StoreTransition,
    Subscription,
    SyncRecord,
    WooWebhook,
)
from server.models.types import utcnow

logger = logging.getLogger(__name__)


class ActivationError(Exception):
    """Activation refused; `status` is the HTTP status the bridge answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Consent:
    """What the plugin sends when the store's admin clicks "I Agree"."""

    site_url: str
    admin_email: str
    admin_username: str
    wp_user_id: int
    challenge: str
    site_name: str = ""
    plugin_version: str = ""
    wp_version: str = ""
    wc_version: str = ""
    admin_url: str = ""  # the site's wp-admin, when not at <site_url>/wp-admin/


@dataclass(frozen=True)
class Activated:
    store: Store
    signing_secret: str
    resumed: bool  # it was paused or uninstalled: what waited must now be processed


def activate(consent: Consent) -> Activated:
    """Link the site to a store (new, or the one it had) once the site proves it sent this
    request; a new signing secret replaces any old one. A new store is pending while the
    site is asked, and forgotten if it cannot prove control. A store an operator paused
    stays paused. Commits."""
    url = _checked_site_url(consent.site_url)
    admin_url = _checked_admin_url(consent.admin_url)
    store, created = _store_for_consent(url, consent)
    store_id = store.id
    try:
        _prove(url, consent.challenge)
        return _link(store_id, url, admin_url, consent)
    except BaseException:  # whatever failed, a store made for this request is not left pending
        db.session.rollback()
        if created:
            _forget_pending(store_id)
        raise


def _link(store_id: int, url: str, admin_url: str, consent: Consent) -> Activated:
    """The site proved control: a new secret, the consent's details, the store active
    (unless an operator paused it) and its trial started. Commits."""
    store = db.session.get(Store, store_id)
    if store is None:
        raise ActivationError("the store was removed while its activation was under way", 409)
    before = store.state
    secret = secrets.token_urlsafe(32)
    store.signing_secret = secret
    store.admin_url = admin_url
    store.admin_email = consent.admin_email[:254]
    store.admin_username = consent.admin_username[:60]
    store.wp_user_id = consent.wp_user_id
    store.name = consent.site_name[:200] or store.name
    store.plugin_version = consent.plugin_version[:32]
    store.wp_version = consent.wp_version[:32]
    store.wc_version = consent.wc_version[:32]
    held = paused_by_operator(store)
    if held:
        store.transitions.append(StoreTransition(
            from_state=before, to_state=before, actor=_actor(consent),
            reason=f"re-linked by the plugin (control of {url} proven); "
            "stays paused by an operator",
        ))  # fmt: skip
    else:
        reason = "activated" if before == StoreState.PENDING else "re-linked by the plugin"
        store.transition_to(
            StoreState.ACTIVE, f"{reason}: control of {url} proven", _actor(consent)
        )
    trial.start(store)
    db.session.commit()
    resumed = not held and before in (StoreState.PAUSED, StoreState.UNINSTALLED)
    return Activated(store, secret, resumed)


def _checked_site_url(site_url: str) -> str:
    woo = current_config().woocommerce
    try:
        return urls.check(
            site_url, allow_http=woo.allow_insecure_http,
            allow_private=woo.allow_private_addresses, resolve=True,
        )  # fmt: skip
    except urls.UnsafeStoreURL as error:
        raise ActivationError(f"site_url cannot be used: {error}", 422) from None


ADMIN_PATH = re.compile(r"^(/[A-Za-z0-9._~%+-]*)*$")  # plain segments, percent-escapes


def _checked_admin_url(admin_url: str) -> str:
    """The wp-admin address the plugin reports (only linked to and framed, never called):
    a plain origin and a plain path, normalised, so nothing but that origin reaches the
    dashboard's frame policy."""
    if not admin_url:
        return ""
    allowed = ("https", "http") if current_config().woocommerce.allow_insecure_http else ("https",)
    parts = urlsplit(admin_url)
    origin = urls.plain_origin(admin_url)
    path = parts.path.rstrip("/") + "/"
    if (
        origin is None
        or parts.scheme not in allowed
        or parts.query
        or parts.fragment
        or not ADMIN_PATH.fullmatch(parts.path)
        or "/../" in path
        or "/./" in path
    ):
        raise ActivationError(
            f"admin_url must be an {' or '.join(allowed)} address: a host name or IP address, "
            "maybe a port and a path, without credentials, wildcard, query or fragment",
            422,
        )
    return origin + path


def _store_for_consent(url: str, consent: Consent) -> tuple[Store, bool]:
    """The store of `url`, made pending if new (two activations at once make one)."""
    store = db.session.scalar(sa.select(Store).where(Store.url == url))
    if store is not None:
        db.session.commit()
        return store, False
    store = Store(url=url, name=consent.site_name[:200], state=StoreState.PENDING)
    store.transitions.append(_consent_transition(consent))
    db.session.add(store)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(sa.select(Store).where(Store.url == url))
        if existing is None:
            raise
        return existing, False
    return store, True


def _forget_pending(store_id: int) -> None:
    """A store made for an activation that failed: nothing else refers to it yet."""
    store = db.session.get(Store, store_id)
    if store is not None and store.state == StoreState.PENDING:
        logger.info("activation of %s failed; its pending store is forgotten", store.url)
        db.session.delete(store)
        db.session.commit()


def paused_by_operator(store: Store) -> bool:
    """Whether the store is paused by an operator rather than by its plugin's deactivation
    (only an operator lifts an operator's pause)."""
    if store.state != StoreState.PAUSED:
        return False
    pause = db.session.scalar(
        sa.select(StoreTransition)
        .where(StoreTransition.store_id == store.id, StoreTransition.to_state == StoreState.PAUSED)
        .where(StoreTransition.from_state != StoreState.PAUSED)
        .order_by(StoreTransition.id.desc())
        .limit(1)
    )
    return pause is not None and not _by_the_plugin(pause.actor)


def _by_the_plugin(actor: str) -> bool:
    """Actors of the plugin's calls ("wordpress", "wordpress:<admin>"), not an operator's
    email address (which might begin with "wordpress" too)."""
    return actor == "wordpress" or actor.startswith("wordpress:")


def _consent_transition(consent: Consent) -> StoreTransition:
    return StoreTransition(
        from_state=None, to_state=StoreState.PENDING, actor=_actor(consent),
        reason="consent received; proving control of the site",
    )  # fmt: skip


def _actor(consent: Consent) -> str:
    return f"wordpress:{consent.admin_username or consent.wp_user_id}"


def _prove(url: str, challenge: str) -> None:
    settings = current_config()
    end_transaction()
    session = store_session(allow_private=settings.woocommerce.allow_private_addresses)
    try:
        bridge.prove_control(session, url, challenge, timeout=settings.bridge.challenge_timeout)
    except AuthError as error:
        raise ActivationError(
            f"control of the site could not be proven: {error.message}", 403
        ) from None
    except ConnectorError as error:
        raise ActivationError(
            f"the site could not be asked to prove control: {error.message}", 502
        ) from None


def deactivate(store: Store) -> None:
    """The plugin was deactivated: deliveries are still recorded, nothing is synced."""
    if store.state == StoreState.ACTIVE:
        store.transition_to(StoreState.PAUSED, "plugin deactivated in WordPress", "wordpress")
    db.session.commit()


def uninstall(store: Store, *, erase: bool) -> None:
    """The plugin was uninstalled: the store stops for good until activated again; its
    connections are closed by a job (`close_connections`)."""
    reason = "plugin uninstalled" + ("; erasing its data was asked for" if erase else "")
    store.transition_to(StoreState.UNINSTALLED, reason, "wordpress")
    store.signing_secret = None  # the plugin forgot it; activation makes a new one
    db.session.commit()


def close_connections(store_id: int, *, erase: bool) -> str:
    """After uninstallation: our webhooks leave the store, and Xero is disconnected; with
    `erase`, every row of the store goes too. Safe to run twice."""
    store = db.session.get(Store, store_id)
    if store is None or store.state != StoreState.UNINSTALLED:
        return "nothing to close"
    left = (
        woo_connect.disconnect(store, "uninstall")
        if woo_access.connection_for_store(store_id)
        else 0
    )
    connection = xero_access.connection_for_store(store_id)
    if connection is not None and connection.status != ConnectionStatus.DISCONNECTED:
        try:
            xero_connect.disconnect(store, "uninstall")
        except ConnectError as error:
            return f"Xero could not be disconnected yet: {error}"
    if erase:
        db.session.delete(db.session.get(Store, store_id))
    db.session.commit()
    return f"closed ({left} webhook(s) could not be removed)" + ("; erased" if erase else "")


PENDING_DAYS = 1  # a store whose activation never finished (the server stopped mid-way)


def erase_expired_uninstalled() -> int:
    """Stores uninstalled longer ago than the retention period (counted from the
    uninstallation itself) are erased, and stores left pending by an unfinished activation."""
    days = current_config().retention.uninstalled_store_days
    uninstalled_at = (
        sa.select(sa.func.max(StoreTransition.at))
        .where(
            StoreTransition.store_id == Store.id,
            StoreTransition.to_state == StoreState.UNINSTALLED,
        )
        .scalar_subquery()
    )
    expired = sa.and_(
        Store.state == StoreState.UNINSTALLED, uninstalled_at < utcnow() - timedelta(days=days)
    )
    abandoned = sa.and_(
        Store.state == StoreState.PENDING,
        Store.created_at < utcnow() - timedelta(days=PENDING_DAYS),
    )
    stores = db.session.scalars(sa.select(Store).where(sa.or_(expired, abandoned))).all()
    for store in stores:
        db.session.delete(store)
    db.session.commit()
    return len(stores)


def status(store: Store) -> dict[str, Any]:
    """What the plugin's main page shows."""
    xero = xero_access.connection_for_store(store.id)
    woo = woo_access.connection_for_store(store.id)
    subscription = usage.subscription_of(store.id)
    last_sync = db.session.scalar(
        sa.select(sa.func.max(OutboxEntry.sent_at)).where(OutboxEntry.store_id == store.id)
    )
    problems = db.session.scalar(
        sa.select(sa.func.count(OutboxEntry.id)).where(
            OutboxEntry.store_id == store.id,
            OutboxEntry.status.in_((OutboxStatus.FAILED, OutboxStatus.HELD, OutboxStatus.WAITING)),
        )
    )
    waiting = db.session.scalar(
        sa.select(sa.func.count(InboundEvent.id)).where(
            InboundEvent.store_id == store.id, InboundEvent.status == EventStatus.PENDING
        )
    )
    latest_error = db.session.scalar(
        sa.select(SyncRecord.message)
        .where(
            SyncRecord.store_id == store.id, SyncRecord.outcome.in_(("error", "held", "warning"))
        )
        .order_by(SyncRecord.started_at.desc())  # walks ix_sync_records_store_started back
        .limit(1)
    )
    return {
        "store": {"id": store.public_id, "url": store.url, "state": store.state.value},
        "xero": {
            "connected": xero is not None and xero.status == ConnectionStatus.CONNECTED,
            "organisation": xero.tenant_name if xero is not None else "",
            "status": xero.status.value if xero is not None else "not connected",
        },
        "woocommerce": {
            "status": woo.status.value if woo is not None else "not connected",
            "webhooks": webhook_health(store.id),
        },
        "subscription": _subscription(store.id, subscription),
        "last_sync": last_sync.isoformat() if last_sync else None,
        "open_errors": int(problems or 0),
        "latest_error": latest_error or "",
        "events_waiting": int(waiting or 0),
    }


def webhook_health(store_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(WooWebhook.status, sa.func.count(WooWebhook.id))
        .where(WooWebhook.store_id == store_id)
        .group_by(WooWebhook.status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def _subscription(store_id: int, subscription: Subscription | None) -> dict[str, Any]:
    """The plan, its state, and whether the store syncs now: if not, why and what to do."""
    now = utcnow()
    allowed = entitlement.of(store_id, subscription, now)
    return {
        "status": subscription.status.value if subscription is not None else "none",
        "plan": subscription.plan.name if subscription is not None else "",
        "trial_days_left": usage.trial_days_left(subscription, now) if subscription else None,
        "syncing": allowed.entitled,
        "not_syncing_because": allowed.reason,
    }

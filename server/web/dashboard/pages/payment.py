"""Paying from the Subscription page: its buttons leave the iframe (a payment provider's
pages cannot be framed) with a single-use token, like the connect buttons, and come back to
a page that leads to the Subscription page in WordPress. What the provider refuses is said
in words there, never a 500."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, redirect, render_template, request, url_for

from server.billing import usage
from server.billing.providers import ProviderError, get_provider
from server.extensions import csrf, current_config, db
from server.models import Plan, Store
from server.web.bridge import embeds
from server.web.dashboard.connect.common import back_to, operator_or_store_admin, store_or_404
from server.web.dashboard.pages import bp, expired
from server.web.dashboard.pages.entry import top_level_store

WORDPRESS_SUBSCRIPTION_PAGE = "admin.php?page=wooxero-bridge-subscription"
SERVICE = "Subscription"
RETURNS = {  # why the person is back: what the page says
    "paid": "Thank you. Your subscription shows on the Subscription page as soon as the "
    "payment provider confirms it, usually within seconds.",
    "canceled": "Nothing was paid and nothing changed.",
    "managed": "Any change you made shows on the Subscription page as soon as the payment "
    "provider confirms it, usually within seconds.",
}


@bp.post("/payment/<action>")
@csrf.exempt  # the single-use token in the form is the proof
def payment(action: str) -> Response | tuple[str, int] | tuple[Response, int]:
    """A Subscription page's button, opened top-level: the provider's checkout for the
    chosen plan, or its portal."""
    if action not in ("checkout", "portal"):
        abort(404)
    store = top_level_store(embeds.PAYMENT)
    if store is None:
        return expired()
    subscription = usage.subscription_of(store.id)
    if subscription is None:
        return _refused(store, "this store has no subscription to pay for", 409)
    provider = get_provider()
    try:
        if action == "portal":
            url = provider.portal_url(store, subscription, _return(store, "managed"))
            return redirect(url, code=303)
        plan = db.session.scalar(
            sa.select(Plan).where(Plan.code == request.form.get("plan", ""), Plan.active.is_(True))
        )
        if plan is None:
            return _refused(store, "that plan is not offered: choose one on the page", 400)
        url = provider.checkout_url(
            store, subscription, plan, _return(store, "paid"), _return(store, "canceled")
        )
    except ProviderError as error:
        db.session.commit()  # a customer the provider made before refusing: never made twice
        return _refused(store, error.message, 409 if error.portal else 502, portal=error.portal)
    db.session.commit()  # the customer the provider made for the store, if it made one
    return redirect(url, code=303)


@bp.get("/payment/return/<public_id>")
@operator_or_store_admin
def payment_return(public_id: str) -> str:
    """Where the provider sends the person back."""
    store = store_or_404(public_id)
    message = RETURNS.get(request.args.get("outcome", ""), RETURNS["managed"])
    return render_template(
        "connect/result.html", service=SERVICE, ok=True, message=message,
        back=back_to(store, WORDPRESS_SUBSCRIPTION_PAGE),
    )  # fmt: skip


def _return(store: Store, outcome: str) -> str:
    path = url_for("dashboard.payment_return", public_id=store.public_id, outcome=outcome)
    return current_config().public_url + path


def _refused(store: Store, why: str, status: int, portal: bool = False) -> tuple[str, int]:
    """The refusal in words, with the provider's portal a button away when that is where
    the store admin acts on it."""
    message = why[:1].upper() + why[1:] + "."
    page = render_template(
        "connect/result.html", service=SERVICE, ok=False, message=message,
        back=back_to(store, WORDPRESS_SUBSCRIPTION_PAGE),
        portal_token=embeds.issue(store, embeds.PAYMENT) if portal else "",
    )  # fmt: skip
    return page, status

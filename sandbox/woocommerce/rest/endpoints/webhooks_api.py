"""``/wc/v3/webhooks`` as ``WC_REST_Webhooks_V1/V2_Controller`` (v3 only sets ``wp_api_v3``).

Sourced quirks kept: creation ignores ``status`` (always ``active``) and ignores the ping's
result; ``GET``/``PUT`` of an unknown id is 400 "ID is invalid."; delete needs ``force``;
the secret is never returned and defaults to ``wp_generate_password(50, true, true)``;
setting ``status`` does not reset the failure count.
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import urlsplit

from ...render import resources as render_resources
from ...state import sandbox
from ...store.models import Webhook
from ...webhooks.topics import STATUSES, is_valid_topic
from ..collection import DateFilter, listing, order_by, page_params
from ..common import location
from ..errors import RestError, missing_params
from ..router import CREATABLE, DELETABLE, EDITABLE, READABLE, Call, Reply, Router

_PASSWORD_CHARS = string.ascii_letters + string.digits + "!@#$%^&*()" + "-_ []{}<>~`+=,.;:/?|"


def generate_password(length: int = 50) -> str:
    """``wp_generate_password($length, true, true)``."""
    return "".join(secrets.choice(_PASSWORD_CHARS) for _ in range(length))


def _valid_url(url: str) -> bool:
    """``wc_is_valid_url``."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def _invalid_id(status: int, message: str = "ID is invalid.") -> RestError:
    return RestError("woocommerce_rest_shop_webhook_invalid_id", message, status)


def _get(call: Call, status: int, message: str = "ID is invalid.") -> Webhook:
    webhook = call.store.webhooks.get(call.id())
    if webhook is None:
        raise _invalid_id(status, message)
    return webhook


def list_webhooks(call: Call) -> Reply:
    """``GET /webhooks``."""
    p = call.params
    page = page_params(p)
    status = p.enum("status", "all", ("all", *STATUSES))
    orderby = p.enum("orderby", "date", ("date", "id", "title"))
    descending = p.enum("order", "desc", ("asc", "desc")) == "desc"
    include, exclude = p.id_list("include"), p.id_list("exclude")
    search = p.string("search").lower()
    dates = DateFilter.read(p)
    p.check()
    call.permit()
    with call.store.lock:
        found = [
            w
            for w in call.store.webhooks.values()
            if status in ("all", w.status)
            and (not include or w.id in include)
            and w.id not in exclude
            and (not search or search in w.name.lower())
            and dates.keeps(call, w.date_created, w.date_modified)
        ]
        ordered = order_by(
            found,
            orderby,
            descending,
            {"date": lambda w: w.date_created, "title": lambda w: w.name.lower()},
            include,
            lambda w: w.id,
        )
        return listing(
            call, ordered, page, "/webhooks", lambda w: render_resources.webhook(call.view, w)
        )


def get_webhook(call: Call) -> Reply:
    """``GET /webhooks/<id>``."""
    call.permit()
    with call.store.lock:
        return Reply(render_resources.webhook(call.view, _get(call, 400)))


def create_webhook(call: Call) -> Reply:
    """``POST /webhooks``: save, answer 201, then ping the delivery URL."""
    p = call.params
    missing = [name for name in ("topic", "delivery_url") if not p.has(name)]
    if missing:
        raise missing_params(missing)
    if p.has("status"):
        p.enum("status", "active", STATUSES)
    p.check()
    call.permit()
    store = call.store
    if p.has("id"):
        raise RestError(
            "woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400
        )
    topic = str(p.raw("topic") or "")
    if not topic or not is_valid_topic(topic.lower()):
        raise RestError(
            "woocommerce_rest_shop_webhook_invalid_topic",
            "Webhook topic is required and must be valid.",
            400,
        )
    url = str(p.raw("delivery_url") or "")
    if not url or not _valid_url(url):
        raise RestError(
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
            400,
        )
    with store.lock:
        now = store.now()
        name = str(p.raw("name") or "") or "Webhook created on " + now.astimezone(
            store.zone
        ).strftime("%b %d, %Y @ %I:%M %p")
        webhook = Webhook(
            store.next_webhook_id(),
            name,
            "active",
            topic,
            url,
            str(p.raw("secret") or "") or generate_password(),
            call.key.user_id if call.key else 0,
            "wp_api_v3",
            now,
            now,
        )
        store.webhooks[webhook.id] = webhook
        data = render_resources.webhook(call.view, webhook)
    sandbox().webhooks.ping(webhook)
    return Reply(data, 201, location(call, f"/webhooks/{webhook.id}"))


def update_webhook(call: Call) -> Reply:
    """``PUT /webhooks/<id>``."""
    p = call.params
    if p.has("status"):
        p.enum("status", "active", STATUSES)
    p.check()
    call.permit()
    with call.store.lock:
        webhook = _get(call, 400)
        topic = str(p.raw("topic") or "")
        if topic:
            if not is_valid_topic(topic.lower()):
                raise RestError(
                    "woocommerce_rest_shop_webhook_invalid_topic",
                    "Webhook topic must be valid.",
                    400,
                )
            webhook.topic = topic
        url = str(p.raw("delivery_url") or "")
        if url:
            if not _valid_url(url):
                raise RestError(
                    "woocommerce_rest_shop_webhook_invalid_delivery_url",
                    "Webhook delivery URL must be a valid URL starting with http:// or https://.",
                    400,
                )
            webhook.delivery_url = url
        if p.raw("secret"):
            webhook.secret = str(p.raw("secret"))
        if p.raw("status"):
            webhook.status = str(p.raw("status"))
        if p.raw("name"):
            webhook.name = str(p.raw("name"))
        webhook.date_modified = call.store.now()
        return Reply(render_resources.webhook(call.view, webhook))


def delete_webhook(call: Call) -> Reply:
    """``DELETE /webhooks/<id>?force=true``."""
    force = call.params.boolean("force", False)
    call.params.check()
    call.permit()
    if not force:
        raise RestError(
            "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
        )
    with call.store.lock:
        webhook = _get(call, 404, "Invalid ID.")
        data = render_resources.webhook(call.view, webhook)
        del call.store.webhooks[webhook.id]
        return Reply(data)


def register(router: Router) -> None:
    """Add the webhook routes."""
    router.add("/wc/v3/webhooks", READABLE, list_webhooks, "list")
    router.add("/wc/v3/webhooks", CREATABLE, create_webhook, "create")
    one = r"/wc/v3/webhooks/(?P<id>[\d]+)"
    router.add(one, READABLE, get_webhook, "view")
    router.add(one, EDITABLE, update_webhook, "edit")
    router.add(one, DELETABLE, delete_webhook, "delete")

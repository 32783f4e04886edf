"""The store's state: every record, WordPress-style id sequences and change events.

Hold ``lock`` for any read-modify-write. Products, variations, orders and refunds share the
posts id sequence as they do in WordPress (so order ids have gaps); users, comments (notes),
order items, meta rows, webhooks and API keys have their own.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from ..config import StoreConfig
from ..php.dates import now_utc
from ..totals.calculator import TaxContext
from .models import ApiKey, Coupon, Customer, Meta, Note, Order, Product, Refund, Trashable, Webhook

Listener = Callable[[str, str, int], None]
"""Called with (resource, event, resource id) after a change, e.g. ("order", "updated", 12)."""

ADMIN_USER_ID = 1
ADMIN_LOGIN = "admin"


def api_hash(consumer_key: str) -> str:
    """``wc_api_hash``: HMAC-SHA256 of the key with the literal key ``wc-api``."""
    return hmac.new(b"wc-api", consumer_key.encode(), hashlib.sha256).hexdigest()


class Store:
    """All records of one store."""

    def __init__(self, config: StoreConfig) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self.home_url = ""
        self._listeners: list[Listener] = []
        self._mute = threading.local()
        self.clear()

    def clear(self) -> None:
        """Forget every record and restart the sequences."""
        with self.lock:
            self._posts = itertools.count(10)
            self._users = itertools.count(ADMIN_USER_ID + 1)
            self._comments = itertools.count(1)
            self._items = itertools.count(1)
            self._meta = itertools.count(1)
            self._webhooks = itertools.count(1)
            self._keys = itertools.count(1)
            self._order_numbers = itertools.count(1001)
            self.orders: dict[int, Order] = {}
            self.refunds: dict[int, Refund] = {}
            self.notes: dict[int, Note] = {}
            self.customers: dict[int, Customer] = {}
            self.products: dict[int, Product] = {}
            self.coupons: dict[str, Coupon] = {}
            self.webhooks: dict[int, Webhook] = {}
            self.keys: dict[int, ApiKey] = {}

    def next_post_id(self) -> int:
        """The next WordPress post id (products, orders, refunds, coupons)."""
        return next(self._posts)

    def next_user_id(self) -> int:
        """The next WordPress user id."""
        return next(self._users)

    def next_comment_id(self) -> int:
        """The next comment id (order notes)."""
        return next(self._comments)

    def next_item_id(self) -> int:
        """The next order item id."""
        return next(self._items)

    def next_webhook_id(self) -> int:
        """The next webhook id."""
        return next(self._webhooks)

    def next_key_id(self) -> int:
        """The next API key id."""
        return next(self._keys)

    def next_order_number(self, order_id: int) -> str:
        """``id`` as a string, or a sequential number when ``order_number_prefix`` is set."""
        prefix = self.config.order_number_prefix
        return str(order_id) if prefix is None else f"{prefix}{next(self._order_numbers)}"

    def meta(self, key: str, value: object) -> Meta:
        """A new meta row."""
        return Meta(next(self._meta), key, value)

    def tax_context(self) -> TaxContext:
        """The calculator's view of the store's tax settings."""
        cfg = self.config
        return TaxContext(cfg.tax_rates, cfg.decimals, cfg.store_country, self.next_item_id)

    def now(self) -> datetime:
        """The current time (UTC, whole seconds)."""
        return now_utc()

    def subscribe(self, listener: Listener) -> None:
        """Receive change events."""
        self._listeners.append(listener)

    def emit(self, resource: str, event: str, resource_id: int) -> None:
        """Announce a change (unless this thread muted the store)."""
        if getattr(self._mute, "depth", 0):
            return
        for listener in self._listeners:
            listener(resource, event, resource_id)

    def trash(self, resource: str, post: Trashable) -> None:
        """``wp_trash_post``: remember the status (``_wp_trash_meta_status``), move the post to
        the trash and fire ``<resource>.deleted``."""
        post.trashed_status = post.status
        post.status = "trash"
        post.date_modified = self.now()
        self.emit(resource, "deleted", post.id)

    def untrash(self, resource: str, post: Trashable, fallback_status: str) -> None:
        """``wp_untrash_post``: back to the remembered status (``fallback_status`` if none) and
        fire ``<resource>.restored``."""
        post.status = post.trashed_status or fallback_status
        post.trashed_status = None
        post.date_modified = self.now()
        self.emit(resource, "restored", post.id)

    def muted(self) -> _Muted:
        """A context in which this thread's changes fire no events (hold ``lock`` inside)."""
        return _Muted(self)

    def key_by_consumer_key(self, consumer_key: str) -> ApiKey | None:
        """The API key row for a plain consumer key."""
        digest = api_hash(consumer_key)
        with self.lock:
            return next((k for k in self.keys.values() if k.consumer_key_hash == digest), None)

    def add_key(
        self, consumer_key: str, consumer_secret: str, permissions: str, description: str
    ) -> ApiKey:
        """Register an API key owned by the admin user."""
        with self.lock:
            key = ApiKey(
                self.next_key_id(),
                ADMIN_USER_ID,
                description,
                permissions,
                consumer_key,
                api_hash(consumer_key),
                consumer_secret,
            )
            self.keys[key.key_id] = key
            return key


class _Muted:
    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> None:
        mute = self._store._mute
        mute.depth = getattr(mute, "depth", 0) + 1

    def __exit__(self, *exc: object) -> None:
        self._store._mute.depth -= 1

"""What the model views share about their rows: secrets kept out (columns, and keys of
stored JSON), an action's row ids and its outcome said per store, buttons that post, stores
named by name and address with a link to their page, orders linked to wp-admin and Xero
documents to Xero. The stores a page of rows refers to are read once for the page
(`StoreReferences.get_list`), never once per row."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from flask import flash, g, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from redis.exceptions import RedisError

from server.connectors.woocommerce.urls import order_edit_url
from server.connectors.xero.links import document_url
from server.crypto import EncryptedText
from server.stores import roster
from server.untrusted import ascii_int

logger = logging.getLogger(__name__)
Formatter = Callable[[Any, Any, Any, str], Any]
# Names of values never shown, in stored JSON or in text ("consumer_secret=…" in a URL).
SECRET_WORDS = "secret|password|passwd|token|signature|authori[sz]ation|api_?key|consumer_key"  # noqa: S105
SECRET_NAME = rf"[\w-]*(?:{SECRET_WORDS})[\w-]*"
SECRET_KEY = re.compile(rf"^_?{SECRET_NAME}$", re.IGNORECASE)
SECRET_IN_TEXT = re.compile(
    rf"\b({SECRET_NAME}\"?\s*[=:]\s*\"?)(?:(?:Bearer|Basic)\s+)?[^\s&\"',;]+", re.IGNORECASE
)
HIDDEN = "[hidden]"


def _secret_columns(model: type) -> list[str]:
    return [
        column.key
        for column in model.__table__.columns  # type: ignore[attr-defined]
        if isinstance(column.type, EncryptedText)
    ]


class HidesSecrets:
    """Keeps every encrypted column out of lists, details, filters and forms."""

    def __init__(self, model: type, *args: Any, **kwargs: Any) -> None:
        secrets = _secret_columns(model)
        for option in (
            "column_exclude_list",
            "column_details_exclude_list",
            "form_excluded_columns",
        ):
            setattr(self, option, [*(getattr(self, option, None) or ()), *secrets])
        super().__init__(model, *args, **kwargs)  # type: ignore[call-arg]


def row_ids(values: list[str]) -> list[int]:
    """An action's row ids (checked by `SecureModelView._handle_view`) as numbers."""
    return [number for value in values if (number := ascii_int(value, minimum=1)) is not None]


def post_button(to: str, label: str, *, new_tab: bool = False, **fields: str) -> Markup:
    """A button posting `fields` and the CSRF token to the address `to`."""
    hidden = Markup("").join(
        Markup('<input type="hidden" name="{}" value="{}">').format(name, value)
        for name, value in fields.items()
    )
    return Markup(
        '<form method="post" action="{}" class="d-inline"{}>'
        '<input type="hidden" name="csrf_token" value="{}">{}'
        '<button class="btn btn-sm btn-outline-primary" type="submit">{}</button></form>'
    ).format(to, Markup(' target="_blank"') if new_tab else "", generate_csrf(), hidden, label)


class StoreReferences:
    """Mixed into the views of rows with a `store_id`: reads the page's stores at once."""

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, rows = super().get_list(*args, **kwargs)  # type: ignore[misc]
        if isinstance(rows, list):
            _remember({row.store_id for row in rows if row.store_id is not None})
        return count, rows


def _remember(store_ids: set[int]) -> None:
    known = g.setdefault("store_references", {})
    known.update(roster.references(sorted(store_ids - known.keys())))


def _reference(store_id: int) -> roster.StoreReference | None:
    """The store's reference, read now if the page did not (a details page)."""
    _remember({store_id})
    return g.store_references.get(store_id)


def store_link(store_id: int | None) -> Markup | str:
    if store_id is None:
        return ""
    found = _reference(store_id)
    label = found.label if found is not None else f"store {store_id} (erased)"
    url = url_for("store.details_view", id=store_id)
    return Markup('<a href="{}">{}</a>').format(url, label)


def _external(url: str | None, text: str) -> Markup | str:
    if url is None:
        return text
    return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(url, text)


def order_link(store_id: int | None, woo_order_id: str) -> Markup | str:
    """The order's number, linked to its edit screen in the store's wp-admin."""
    found = _reference(store_id) if store_id is not None else None
    number = ascii_int(woo_order_id, minimum=1)
    if found is None or number is None:
        return woo_order_id
    return _external(order_edit_url(found.admin_url, number), woo_order_id)


def xero_link(store_id: int | None, kind: str, xero_id: str | None) -> Markup | str:
    """The Xero document's id, linked to it in Xero (once the organisation is read)."""
    if not xero_id:
        return ""
    found = _reference(store_id) if store_id is not None else None
    if found is None:
        return xero_id
    return _external(document_url(found.short_code, kind, xero_id), xero_id)


def store_column(_view: Any, _context: Any, row: Any, _name: str) -> Markup | str:
    return store_link(row.store_id)


def order_column(attribute: str, linked: Callable[[Any], bool] = lambda _row: True) -> Formatter:
    """A formatter linking the order id in `attribute`, for the rows `linked` says name an
    order (a sync record's woo_id may be a customer's or a product's)."""

    def format_order(_view: Any, _context: Any, row: Any, _name: str) -> Markup | str:
        value = str(getattr(row, attribute) or "")
        return order_link(row.store_id, value) if linked(row) else value

    return format_order


def xero_column(kind_of: Callable[[Any], str], attribute: str = "xero_id") -> Formatter:
    """A formatter linking the Xero id in `attribute`, of the document kind `kind_of` gives."""

    def format_document(_view: Any, _context: Any, row: Any, _name: str) -> Markup | str:
        return xero_link(row.store_id, kind_of(row), getattr(row, attribute))

    return format_document


def redacted(value: Any) -> Any:
    """`value` with what a secret's name holds hidden: a key that names one, and a
    WooCommerce meta entry (`{"key": …, "value": …}`) whose key does."""
    if isinstance(value, dict):
        meta = isinstance(value.get("key"), str) and SECRET_KEY.match(value["key"])
        return {
            key: HIDDEN
            if SECRET_KEY.match(str(key)) or (meta and key == "value")
            else redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redacted(item) for item in value]
    if isinstance(value, str):
        return redacted_text(value)
    return value


def redacted_text(text: str) -> str:
    """`text` with the values after a secret's name hidden (`token=…`, `"secret": …`)."""
    return SECRET_IN_TEXT.sub(lambda found: found.group(1) + HIDDEN, text)


def json_column(_view: Any, _context: Any, row: Any, name: str) -> Markup:
    """Stored JSON, indented, secrets hidden, escaped."""
    text = json.dumps(redacted(getattr(row, name)), indent=2, sort_keys=True, default=str)
    return Markup('<pre class="mb-0" style="max-height: 40em">{}</pre>').format(text)


def say(store: Any, outcome: str, category: str = "message") -> None:
    """One store's outcome of an action, as a message on the next page."""
    flash(f"{store}: {outcome}.", category)


def redis_or_say(store: Any, run: Callable[[], str | None], unavailable: str) -> None:
    """Run what needs Redis and say its outcome; without Redis, say so in words."""
    try:
        outcome = run()
    except RedisError as error:
        logger.warning("admin action for store %s: %s", getattr(store, "id", store), error)
        say(store, f"{unavailable} (Redis is unavailable: {error})", "error")
        return
    if outcome:
        say(store, outcome)

"""The words of each message: what happened, what it means for the books, and the one
action that fixes it, with a link to where it is done. Plain text, and the same as simple
HTML. Pure: the facts come in, a message goes out.

Links: a store's admin cannot open the dashboard without its one-time link, so theirs go to
the plugin's page in their own wp-admin ("Sync orders with Xero" and its submenu), which
opens the dashboard page inside WordPress after their WordPress login. The operators' go to
the store's page in the admin panel."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from server.models import Audience, NotificationKind

Kind = NotificationKind
PLUGIN_PAGE = "admin.php?page=wooxero-bridge"  # + "-<target>" for the pages after the first
SETTINGS_PATH = "Sync orders with Xero → Settings → Emails"


@dataclass(frozen=True)
class Wording:
    title: str
    happened: str  # {store} and {detail} are filled in
    books: str
    action: str  # for the store's admin
    operator_action: str
    page: str  # the plugin's page for the action: "" (Overview), "xero", "activity"…


WORDING: dict[NotificationKind, Wording] = {
    Kind.TRIAL_ENDING: Wording(
        "Your wooxero trial ends soon",
        "The free trial of wooxero for {store} ends on {detail}.",
        "After the trial, nothing is sent to Xero until a plan is chosen: choose one now so "
        "your books stay up to date.",
        "Choose a plan on the Subscription page.",
        "Ask the store's admin to choose a plan, or set one in the admin panel.",
        "subscription",
    ),
    Kind.TRIAL_ENDED: Wording(
        "Your wooxero trial has ended",
        "The free trial of wooxero for {store} ended on {detail}.",
        "Nothing is sent to Xero until a plan is chosen: your orders are kept and go to Xero, "
        "in order, as soon as you choose one; until then your books miss them.",
        "Choose a plan on the Subscription page.",
        "Ask the store's admin to choose a plan, or set one in the admin panel.",
        "subscription",
    ),
    Kind.PAYMENT_FAILED: Wording(
        "The payment for your wooxero subscription failed",
        "The last payment for the wooxero subscription of {store} failed: the subscription "
        "is past due.",
        "If it stays unpaid the subscription lapses, and new orders stop reaching Xero: your "
        "books would miss those sales.",
        "Settle the payment on the Subscription page (it says who to ask).",
        "Settle the subscription with the store's admin in the admin panel.",
        "subscription",
    ),
    Kind.XERO_REAUTHORISATION: Wording(
        "Xero needs you to sign in again",
        "Xero stopped accepting wooxero's access for {store}.{detail}",
        "Nothing is sent to Xero until someone signs in again: orders, payments and refunds "
        "wait and go once you do. None is lost, but your books lag behind until then.",
        "Sign in to Xero again on the Xero Connection page.",
        "Ask the store's admin to sign in to Xero again (Xero Connection page).",
        "xero",
    ),
    Kind.WOOCOMMERCE_REFUSED: Wording(
        "WooCommerce access stopped working",
        "{store} refused wooxero's WooCommerce keys.{detail}",
        "New and changed orders cannot be read, so they stop reaching Xero; they are caught "
        "up once access works again.",
        "Grant WooCommerce access again from the Overview page.",
        "Ask the store's admin to grant WooCommerce access again (the Overview page).",
        "",
    ),
    Kind.WEBHOOKS_LOST: Wording(
        "Webhooks cannot be put back",
        "wooxero's webhooks in {store} are off and could not be put back: {detail}.",
        "Orders are still found by polling and refunds by the refund check, so none is lost, "
        "but they reach Xero later.",
        "Press “Repair webhooks now” on the Overview page.",
        "Check that the store can reach this server's public address over https (its "
        "firewall, this server's certificate): the checks put the webhooks back by "
        "themselves once it can.",
        "",
    ),
    Kind.ORDERS_NEED_ATTENTION: Wording(
        "Orders are waiting for you",
        "{store}: {detail} not in Xero. Each was held for a person or refused by Xero.",
        "Those sales are missing from the books until each order is fixed and sent again.",
        "Open the Activity page filtered to “failed or held now”: each order says why; fix "
        "it, then Replay.",
        "Look at the store's failed and held orders: many at once can mean a setting, or a "
        "bug of ours.",
        "activity",
    ),
}


@dataclass(frozen=True)
class Item:
    """One occurrence as told."""

    kind: NotificationKind
    audience: Audience
    store: str  # the store as people name it: "Shop (https://shop.example)"
    detail: str
    link: str


@dataclass(frozen=True)
class Message:
    to: tuple[str, ...]  # empty: nobody to send it to (it is written to the log)
    subject: str
    text: str
    html: str


def store_link(store_url: str, admin_url: str, kind: NotificationKind) -> str:
    """The plugin's page in the store's wp-admin where the kind's action is done."""
    admin = (admin_url or store_url.rstrip("/") + "/wp-admin/").rstrip("/")
    page = WORDING[kind].page
    return f"{admin}/{PLUGIN_PAGE}{'-' + page if page else ''}"


def operator_link(public_url: str, store_id: int) -> str:
    """The store's page in the admin panel."""
    return f"{public_url.rstrip('/')}/admin/store/details/?id={store_id}"


@dataclass(frozen=True)
class _Told:
    title: str
    paragraphs: tuple[tuple[str, str], ...]  # (label, text); "" label: no label
    link: str


def _told(item: Item) -> _Told:
    wording = WORDING[item.kind]
    detail = item.detail
    if item.kind in (Kind.XERO_REAUTHORISATION, Kind.WOOCOMMERCE_REFUSED):
        detail = f" It said: {detail.rstrip('.')}." if detail else ""
    action = wording.action if item.audience == Audience.STORE else wording.operator_action
    return _Told(
        f"{wording.title}: {item.store}",
        (
            ("", wording.happened.format(store=item.store, detail=detail)),
            ("What it means for the books", wording.books),
            ("What to do", action),
        ),
        item.link,
    )


def _footer(audience: Audience) -> str:
    if audience == Audience.OPERATORS:
        return "Sent to the operators listed in the server's email.operators setting."
    return (
        "wooxero tells you of each of these once, and at most one summary a day after that. "
        f"Choose which emails you get in WordPress: {SETTINGS_PATH}."
    )


def compose(to: tuple[str, ...], items: list[Item]) -> Message:
    """One message telling `items` (all for one recipient): the item's own message when it
    is alone, a digest of them all otherwise."""
    if not items:
        raise ValueError("a message tells at least one thing")
    told = [_told(item) for item in items]
    audience = items[0].audience
    if len(told) == 1:
        subject = told[0].title
        intro = ""
    else:
        subject = f"wooxero: {len(told)} things need attention"
        intro = "These need attention. Each is told once; what was fixed before now is left out."
    return Message(to, subject, _text(intro, told, audience), _html(subject, intro, told, audience))


def _text(intro: str, told: list[_Told], audience: Audience) -> str:
    blocks = [intro] if intro else []
    for entry in told:
        lines = [f"{entry.title}\n{'-' * len(entry.title)}"] if len(told) > 1 else []
        lines += [f"{label}: {text}" if label else text for label, text in entry.paragraphs]
        lines.append(entry.link)
        blocks.append("\n\n".join(lines))
    blocks.append("-- \n" + _footer(audience))
    return "\n\n".join(blocks) + "\n"


def _html(subject: str, intro: str, told: list[_Told], audience: Audience) -> str:
    parts = [f"<h1>{escape(subject)}</h1>"]
    if intro:
        parts.append(f"<p>{escape(intro)}</p>")
    for entry in told:
        if len(told) > 1:
            parts.append(f"<h2>{escape(entry.title)}</h2>")
        for label, text in entry.paragraphs:
            lead = f"<strong>{escape(label)}:</strong> " if label else ""
            parts.append(f"<p>{lead}{escape(text)}</p>")
        link = escape(entry.link)
        parts.append(f'<p><a href="{link}">{link}</a></p>')
    parts.append(f"<hr><p><small>{escape(_footer(audience))}</small></p>")
    body = "\n".join(parts)
    head = '<!doctype html>\n<html><head><meta charset="utf-8"></head><body>'
    return f"{head}\n{body}\n</body></html>\n"

"""The words of each message: what happened, what it means for the books, the one action,
and a link the reader can open."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from server.models import Audience, NotificationKind, OutboxStatus
from server.notifications.conditions import problem_words
from server.notifications.messages import Item, compose, operator_link, store_link

Kind = NotificationKind
SHOP = "Corner Shop (https://shop.example)"
LINK = "https://shop.example/wp-admin/admin.php?page=wooxero-bridge-xero"


def item(kind: Kind, detail: str = "", audience: Audience = Audience.STORE, link: str = LINK):
    return Item(kind, audience, SHOP, detail, link)


def test_a_store_admins_link_opens_the_plugins_page_in_their_wp_admin():
    assert store_link("https://shop.example", "", Kind.XERO_REAUTHORISATION) == LINK
    assert (
        store_link("https://shop.example", "https://admin.shop.example/wp/wp-admin/",
                   Kind.ORDERS_NEED_ATTENTION)
        == "https://admin.shop.example/wp/wp-admin/admin.php?page=wooxero-bridge-activity"
    )  # fmt: skip
    assert store_link("https://shop.example/", "", Kind.WOOCOMMERCE_REFUSED) == (
        "https://shop.example/wp-admin/admin.php?page=wooxero-bridge"  # the Overview
    )
    assert store_link("https://shop.example", "", Kind.TRIAL_ENDING).endswith(
        "page=wooxero-bridge-subscription"
    )


def test_an_operators_link_opens_the_store_in_the_admin_panel():
    assert operator_link("https://sync.example/", 42) == (
        "https://sync.example/admin/store/details/?id=42"
    )


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_says_what_happened_what_it_means_and_what_to_do(kind):
    message = compose(("owner@shop.example",), [item(kind, "the facts")])
    assert message.to == ("owner@shop.example",)
    assert SHOP in message.subject
    assert SHOP in message.text
    assert "What it means for the books: " in message.text
    assert "What to do: " in message.text
    assert LINK in message.text
    assert f'<a href="{LINK}">' in message.html


def test_xeros_reason_is_quoted():
    text = compose(("a@b.example",), [item(Kind.XERO_REAUTHORISATION, "invalid_grant")]).text
    assert (
        "Xero stopped accepting wooxero's access for Corner Shop (https://shop.example). "
        "It said: invalid_grant." in text
    )
    assert "Sign in to Xero again on the Xero Connection page." in text


def test_held_orders_are_counted_in_words():
    detail = problem_words({OutboxStatus.FAILED: 3, OutboxStatus.HELD: 4})
    assert detail == "7 orders (3 failed, 4 held)"
    text = compose(("a@b.example",), [item(Kind.ORDERS_NEED_ATTENTION, detail)]).text
    assert "7 orders (3 failed, 4 held) not in Xero" in text
    assert problem_words({OutboxStatus.HELD: 1}) == "1 order (1 held)"


def test_the_operators_are_told_what_they_can_do_not_what_the_admin_does():
    message = compose(
        ("ops@sync.example",),
        [item(Kind.WEBHOOKS_LOST, "2 of 9 webhooks stay disabled", Audience.OPERATORS,
              "https://sync.example/admin/store/details/?id=3")],
    )  # fmt: skip
    assert "public address over https" in message.text
    assert "Repair webhooks now" not in message.text
    assert "email.operators" in message.text
    assert "Settings" not in message.text  # no opt-out: operators are told


def test_a_store_admin_is_told_where_to_turn_the_emails_off():
    text = compose(("a@b.example",), [item(Kind.TRIAL_ENDED, "Monday 1 December 2026")]).text
    assert "Sync orders with Xero → Settings → Emails" in text


def test_several_things_make_one_digest_listing_each():
    kinds = (Kind.XERO_REAUTHORISATION, Kind.PAYMENT_FAILED, Kind.ORDERS_NEED_ATTENTION)
    message = compose(("a@b.example",), [item(kind, "x") for kind in kinds])
    assert message.subject == "wooxero: 3 things need attention"
    assert message.text.count("What to do: ") == 3
    assert message.html.count("<h2>") == 3


def test_the_html_is_the_text_escaped():
    message = compose(("a@b.example",), [item(Kind.WOOCOMMERCE_REFUSED, "<script>x</script>")])
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    words = re.sub(r"\s+", " ", _text_of(message.html))
    for paragraph in message.text.split("\n\n")[:3]:
        assert paragraph in words


def test_a_message_tells_something():
    with pytest.raises(ValueError):
        compose(("a@b.example",), [])


def _text_of(html: str) -> str:
    parts: list[str] = []

    class Reader(HTMLParser):
        def handle_data(self, data: str) -> None:
            parts.append(data)

    Reader().feed(html)
    return "".join(parts)

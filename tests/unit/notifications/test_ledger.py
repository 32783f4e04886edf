"""The once-and-digest rule, on its own: which occurrences open and close, and which
messages are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.models import Audience, NotificationKind
from server.notifications.conditions import AUDIENCES, Condition
from server.notifications.ledger import (
    Recipient,
    Slot,
    Waiting,
    due,
    occurrences,
    wanted,
)
from server.stores.settings.schema import Notifications

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
Kind = NotificationKind
XERO = Slot(1, Kind.XERO_REAUTHORISATION, Audience.STORE)
TRIAL = Slot(1, Kind.TRIAL_ENDING, Audience.STORE)
SHOP = Recipient(Audience.STORE, "owner@shop.example")
OPERATORS = Recipient(Audience.OPERATORS, "")


def xero_lapsed(store_id: int = 1) -> Condition:
    return Condition(store_id, Kind.XERO_REAUTHORISATION, None, "invalid_grant")


def trial_ending(day: str) -> Condition:
    return Condition(1, Kind.TRIAL_ENDING, day, day)


def test_a_new_condition_opens_an_occurrence():
    change = occurrences({}, {XERO: xero_lapsed()})
    assert change.opened == ((XERO, xero_lapsed()),)
    assert change.resolved == frozenset() and change.ongoing == ()


def test_a_condition_that_lasts_opens_nothing_more():
    change = occurrences({XERO: "2026-12-03T11:55:00+00:00"}, {XERO: xero_lapsed()})
    assert change.opened == () and change.resolved == frozenset()
    assert change.ongoing == ((XERO, xero_lapsed()),)


def test_a_condition_gone_resolves_its_occurrence():
    change = occurrences({XERO: "2026-12-03T11:55:00+00:00"}, {})
    assert change.resolved == {XERO} and change.opened == ()


def test_a_condition_with_another_key_is_another_occurrence():
    """A trial extended to another end date: the old occurrence ends, a new one opens."""
    change = occurrences({TRIAL: "2026-12-05"}, {TRIAL: trial_ending("2026-12-19")})
    assert change.resolved == {TRIAL}
    assert change.opened == ((TRIAL, trial_ending("2026-12-19")),)


def test_the_same_key_is_the_same_occurrence():
    change = occurrences({TRIAL: "2026-12-05"}, {TRIAL: trial_ending("2026-12-05")})
    assert change.opened == () and change.resolved == frozenset()


def test_held_orders_go_to_the_store_and_to_the_operators():
    condition = Condition(7, Kind.ORDERS_NEED_ATTENTION, None, "5 orders (5 held)")
    assert set(wanted([condition], {})) == {
        Slot(7, Kind.ORDERS_NEED_ATTENTION, Audience.STORE),
        Slot(7, Kind.ORDERS_NEED_ATTENTION, Audience.OPERATORS),
    }


def test_webhooks_that_cannot_be_put_back_go_to_the_operators_only():
    condition = Condition(7, Kind.WEBHOOKS_LOST, None, "2 of 9 webhooks stay disabled")
    assert set(wanted([condition], {})) == {Slot(7, Kind.WEBHOOKS_LOST, Audience.OPERATORS)}


def test_a_kind_the_store_turned_off_is_not_for_its_admin_but_still_for_the_operators():
    off = Notifications(orders_need_attention=False, xero_reauthorisation=False)
    orders = Condition(7, Kind.ORDERS_NEED_ATTENTION, None, "5 orders (5 held)")
    slots = wanted([orders, xero_lapsed(7), xero_lapsed(8)], {7: off})
    assert set(slots) == {
        Slot(7, Kind.ORDERS_NEED_ATTENTION, Audience.OPERATORS),
        Slot(8, Kind.XERO_REAUTHORISATION, Audience.STORE),  # store 8 left it on
    }


def test_every_store_kind_has_a_switch_and_the_operators_kinds_have_none():
    store_kinds = {kind for kind in Kind if Audience.STORE in AUDIENCES[kind]}
    assert {kind.value for kind in store_kinds} == set(Notifications.model_fields)


def waiting(item_id: int, recipient: Recipient, minutes_ago: int) -> Waiting:
    return Waiting(item_id, recipient, NOW - timedelta(minutes=minutes_ago))


def test_nothing_sent_before_so_what_waits_goes_now_in_one_message():
    items = [waiting(2, SHOP, 1), waiting(1, SHOP, 5)]
    assert due(items, {}, NOW) == [[items[1], items[0]]]  # oldest first


def test_within_a_day_of_the_last_message_it_waits():
    items = [waiting(3, SHOP, 1)]
    assert due(items, {SHOP: NOW - timedelta(hours=23, minutes=59)}, NOW) == []


def test_a_day_after_the_last_message_what_waited_goes_in_one_digest():
    items = [waiting(3, SHOP, 600), waiting(4, SHOP, 60)]
    assert due(items, {SHOP: NOW - timedelta(hours=24)}, NOW) == [items]


def test_each_recipient_has_its_own_day():
    other = Recipient(Audience.STORE, "other@shop.example")
    items = [waiting(1, SHOP, 1), waiting(2, other, 1), waiting(3, OPERATORS, 1)]
    last = {SHOP: NOW - timedelta(hours=2)}
    assert due(items, last, NOW) == [[items[1]], [items[2]]]

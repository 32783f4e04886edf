"""The refund check's pure decisions: when a store's check is due, how long it waits after
failures, and which listed orders differ from the versions kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.inbound.intake import record_hash
from server.inbound.refund_check import changed_orders, is_due, pause_after
from server.models import WooConnection

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def connection(**state: object) -> WooConnection:
    """Defaults as a new row gets them from the database."""
    return WooConnection(**{"refund_check_cursor": 0, "refund_check_failures": 0, **state})


def test_a_store_never_checked_is_due_at_once():
    assert is_due(connection(), NOW, HOUR)


def test_a_finished_round_waits_for_the_interval():
    done = connection(refund_checked_at=NOW - timedelta(minutes=59))
    assert not is_due(done, NOW, HOUR)
    assert is_due(done, NOW + timedelta(minutes=1), HOUR)


def test_a_round_under_way_goes_on_at_once():
    assert is_due(connection(refund_checked_at=NOW, refund_check_cursor=1234), NOW, HOUR)


def test_failures_back_off_from_five_minutes_up_to_the_interval():
    assert [pause_after(n, HOUR) for n in (1, 2, 3, 4, 5, 9, 40)] == [
        timedelta(minutes=m) for m in (5, 10, 20, 40, 60, 60, 60)
    ]
    assert pause_after(3, timedelta(minutes=2)) == timedelta(minutes=2), "never past it"


def test_a_failed_round_waits_for_its_pause_even_mid_round():
    failed = connection(
        refund_check_cursor=1234, refund_check_failures=2, refund_check_failed_at=NOW
    )
    assert not is_due(failed, NOW + timedelta(minutes=9), HOUR)
    assert is_due(failed, NOW + timedelta(minutes=10), HOUR)


def test_only_orders_whose_content_differs_from_the_kept_version_are_changed():
    kept_order = {"id": 1, "total": "10.00", "refunds": [], "_links": {"self": "a"}}
    refunded = {"id": 2, "total": "10.00", "refunds": [{"id": 9, "total": "-1.00"}]}
    never_kept = {"id": 3, "total": "5.00"}
    kept = {
        "1": record_hash({**kept_order, "_links": {"self": "b"}}),  # links are not content
        "2": record_hash({**refunded, "refunds": []}),
    }
    assert changed_orders([kept_order, refunded, never_kept], kept) == ["2", "3"]

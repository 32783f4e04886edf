"""The order count a store reports (X-WP-Total) is kept only when it is a plain number that
fits its column: a store's header is input from outside like any other."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.connectors.woocommerce.client import WooResponse
from server.extensions import db
from server.inbound import backfill
from server.models import Backfill, BackfillStatus, Store, StoreState
from server.models.types import utcnow


class _Store:
    def __init__(self, total: str) -> None:
        self.total = total

    def page(self, *_args: object) -> WooResponse:
        return WooResponse(status=200, data=[], headers={"X-WP-Total": self.total})


@pytest.mark.parametrize("total", ["²", "\u0663", "9" * 5000, str(2**31)])
def test_a_total_that_is_not_a_plain_number_is_not_kept(app_context, monkeypatch, total):
    store = Store(url="https://shop.example", state=StoreState.ACTIVE)
    db.session.add(store)
    db.session.commit()
    run = backfill.start(store.id, utcnow() - timedelta(days=1))
    db.session.commit()
    monkeypatch.setattr(backfill.woo_access, "client_for", lambda _store: _Store(total))

    assert backfill.read_page(run.id) is False

    finished = db.session.get(Backfill, run.id)
    assert finished.status is BackfillStatus.DONE and finished.total == 0

"""A needed key's percentage as people write it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.stores.settings.tax_mapping import NeededKey


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("10.0000", "10"), ("20", "20"), ("100.0000", "100"), ("12.5000", "12.5"), ("0.0000", "0")],
)
def test_a_rate_reads_as_people_write_it(stored: str, shown: str) -> None:
    need = NeededKey("5", "VAT", ("rates",), None, Decimal(stored))
    assert need.percent == shown and need.as_json()["woo_rate"] == shown


def test_an_unknown_rate_has_no_percentage() -> None:
    assert NeededKey("none", "no tax", ("always",), None, None).percent is None

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.models.types import MONEY_LIMIT, to_money


@given(st.decimals(min_value=-MONEY_LIMIT + 1, max_value=MONEY_LIMIT - 1, places=4))
def test_amounts_with_up_to_four_places_are_kept_exactly(amount):
    assert to_money(amount) == amount
    assert to_money(str(amount)) == amount


@given(st.integers(min_value=-(10**10), max_value=10**10))
def test_integers_are_amounts(value):
    assert to_money(value) == Decimal(value)


@pytest.mark.parametrize("value", [0.1, 1.0, True, "abc", None, "NaN", "Infinity", [1]])
def test_floats_and_nonsense_are_refused(value):
    with pytest.raises(ValueError):
        to_money(value)


@pytest.mark.parametrize("value", ["0.00001", "1.23456"])
def test_more_than_four_places_is_refused_not_rounded(value):
    with pytest.raises(ValueError, match="more than 4 decimal places"):
        to_money(value)


def test_out_of_range_is_refused():
    with pytest.raises(ValueError, match="out of range"):
        to_money(MONEY_LIMIT)

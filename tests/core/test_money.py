from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import distribute, percent_of, quantize, to_decimal

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda n: Decimal(n) / 100)


def test_quantize_rounds_half_up_to_the_currency_minor_unit():
    assert quantize(Decimal("2.345")) == Decimal("2.35")
    assert quantize(Decimal("2.344")) == Decimal("2.34")
    assert quantize(Decimal("-2.345")) == Decimal("-2.35")
    assert quantize("1.5", "JPY") == Decimal("2")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_decimal(0.1)


def test_percent_of():
    assert percent_of(Decimal("19.99"), Decimal("15")) == Decimal("3.00")


def test_distribute_splits_by_weight_with_the_remainder_to_the_largest_fractions():
    assert distribute(Decimal("10.00"), [Decimal("1"), Decimal("1"), Decimal("1")]) == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]
    assert distribute(Decimal("1.00"), [Decimal("30"), Decimal("10")]) == [
        Decimal("0.75"),
        Decimal("0.25"),
    ]


def test_distribute_over_zero_weights_splits_evenly():
    assert distribute(Decimal("0.05"), [Decimal("0"), Decimal("0")]) == [
        Decimal("0.03"),
        Decimal("0.02"),
    ]


def test_distribute_refuses_negative_inputs():
    with pytest.raises(ValueError):
        distribute(Decimal("-1"), [Decimal("1")])
    with pytest.raises(ValueError):
        distribute(Decimal("1"), [Decimal("-1")])


@given(total=cents, weights=st.lists(cents, min_size=1, max_size=30))
def test_shares_sum_exactly_are_never_negative_and_are_deterministic(total, weights):
    shares = distribute(total, weights)
    assert sum(shares) == quantize(total)
    assert all(share >= 0 for share in shares)
    assert distribute(total, weights) == shares
    assert len(shares) == len(weights)


@given(weights=st.lists(cents, min_size=1, max_size=30), fraction=st.fractions(0, 1))
def test_a_discount_no_larger_than_the_lines_never_exceeds_any_line(weights, fraction):
    line_sum = sum(weights)
    discount = quantize(line_sum * Decimal(fraction.numerator) / Decimal(fraction.denominator))
    if discount > line_sum:  # rounding up past the sum is impossible to distribute within caps
        discount = line_sum
    shares = distribute(discount, weights)
    if line_sum > 0:
        assert all(share <= weight for share, weight in zip(shares, weights, strict=True))

"""Refund amounts (pure): never more than paid per line, and exactly what was paid in total."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from returns import refunds

cents = st.integers(min_value=0, max_value=10**7).map(lambda n: Decimal(n) / 100)


@st.composite
def order_and_returns(draw):
    line_totals = draw(st.lists(cents, min_size=1, max_size=6))
    quantities = [draw(st.integers(min_value=1, max_value=12)) for _ in line_totals]
    tax = draw(cents)
    # each line comes back in several returns: a partition of its quantity
    partitions = []
    for quantity in quantities:
        counts, left = [], quantity
        while left:
            n = draw(st.integers(min_value=1, max_value=left))
            counts.append(n)
            left -= n
        partitions.append(counts)
    return line_totals, quantities, tax, partitions


@given(order_and_returns())
def test_refunds_never_exceed_what_was_paid_and_add_up_exactly(case):
    line_totals, quantities, tax, partitions = case
    shares = refunds.tax_shares(goods_tax=tax, line_totals=line_totals, currency="CAD")
    if sum(line_totals) > 0:
        assert sum(shares) == tax
    grand = Decimal("0")
    for line_total, share, quantity, counts in zip(
        line_totals, shares, quantities, partitions, strict=True
    ):
        paid = line_total + share
        returned, refunded = 0, Decimal("0")
        for count in counts:
            refund = refunds.refund_for_units(
                line_total=line_total,
                tax_share=share,
                quantity=quantity,
                already_returned=returned,
                count=count,
                currency="CAD",
            )
            assert Decimal("0") <= refund.total <= paid
            assert refund.merchandise <= line_total and refund.tax <= share
            returned += count
            refunded += refund.total
            assert refunded <= paid
        assert refunded == paid
        grand += refunded
    assert grand == sum(line_totals) + (tax if sum(line_totals) > 0 else 0)


def test_goods_tax_leaves_out_the_tax_on_shipping():
    tax = refunds.goods_tax(
        tax_total=Decimal("3.35"), shipping_charges=[{"tax": "0.65"}], currency="CAD"
    )
    assert tax == Decimal("2.70")

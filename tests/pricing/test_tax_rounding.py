"""Tax rounding, a store setting: per line and per shipping charge (the default), or once per
invoice, shared out to the lines by largest remainder so that the lines still add up."""

import dataclasses
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import engine as e
from pricing.engine.money import quantize
from tests.pricing.engine_kit import BAG, CASE, NB, PEN, rules, snap

THREE_PENS = ((PEN, 1), (PEN, 1), (PEN, 1))  # 2.50 each: 13 % is 0.325 a line


def price(lines, per_invoice: bool):
    return e.price(snap(*lines), dataclasses.replace(rules(), tax_per_invoice=per_invoice))


def test_per_line_rounds_each_line_and_each_shipping_charge():
    result = price(THREE_PENS, per_invoice=False)
    assert [line.tax for line in result.lines] == [D("0.33")] * 3
    assert result.shipping[0].tax == D("1.04")
    assert result.tax_total == D("2.03")


def test_per_invoice_rounds_once_and_the_lines_still_add_up():
    result = price(THREE_PENS, per_invoice=True)
    assert result.tax_total == D("2.02")  # 13 % of 7.50 + 8.00 = 2.015 → 2.02
    assert sorted(line.tax for line in result.lines) == [D("0.32"), D("0.33"), D("0.33")]
    assert sum(line.tax for line in result.lines) + result.shipping[0].tax == result.tax_total
    assert [(t.name, t.amount) for t in result.taxes] == [("HST", D("2.02"))]


lines_strategy = st.lists(
    st.tuples(st.sampled_from([NB, PEN, CASE, BAG]), st.integers(min_value=1, max_value=40)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(lines=lines_strategy)
def test_per_invoice_tax_is_the_rounded_exact_tax_and_the_shares_add_up(lines):
    result = price(tuple(lines), per_invoice=True)
    shares = [line.tax for line in result.lines] + [c.tax for c in result.shipping]
    assert sum(shares) == result.tax_total == sum(t.amount for t in result.taxes)
    exact = sum((line.line_total for line in result.lines), D(0)) * D("0.13") + sum(
        (c.total for c in result.shipping), D(0)
    ) * D("0.13")
    assert result.tax_total == quantize(exact, "CAD")
    assert all(share >= 0 for share in shares)
    # a share never strays a cent from the line's own rounded tax
    per_line = price(tuple(lines), per_invoice=False)
    for shared, own in zip(result.lines, per_line.lines, strict=True):
        assert abs(shared.tax - own.tax) <= D("0.01")


def test_the_store_setting_reaches_the_rules(db):
    from pricing.loader import build_rules
    from pricing.models import PricingSettings

    assert build_rules().tax_per_invoice is False  # no settings row: per line
    PricingSettings.objects.create(pk=1, tax_rounding=PricingSettings.TaxRounding.INVOICE)
    assert build_rules().tax_per_invoice is True

"""Stage 7: tax on the goods after discounts and on shipping, by destination."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from core.money import ZERO
from pricing.engine.cart import Cart
from pricing.engine.money import HUNDRED, quantize
from pricing.engine.result import ShippingCharge
from pricing.engine.rules import Rules
from pricing.engine.snapshot import ShipTo, Snapshot

SHIPPING_TAX_CODE = "shipping"

TaxTotals = dict[tuple[str, Decimal], Decimal]  # (name, rate) -> amount


def apply_tax(
    s: Snapshot, rules: Rules, cart: Cart, charges: list[ShippingCharge]
) -> tuple[list[ShippingCharge], TaxTotals]:
    """Tax each line (onto the cart) and each shipping charge; the totals by tax and rate."""
    taxes: TaxTotals = {}
    cur = s.currency
    ship_to_by_key = {st.key: st for st in s.ship_tos}
    for line in cart.lines:
        dest = ship_to_by_key.get(line.src.ship_to)
        line.tax = tax_on(rules, line.src.tax_code, dest, line.net, cur, taxes)
    taxed = [
        dataclasses.replace(
            c,
            tax=tax_on(
                rules, SHIPPING_TAX_CODE, ship_to_by_key.get(c.ship_to), c.total, cur, taxes
            ),
        )
        for c in charges
    ]
    return taxed, taxes


def tax_on(
    rules: Rules,
    tax_code: str,
    dest: ShipTo | None,
    base: Decimal,
    cur: str,
    totals: dict[tuple[str, Decimal], Decimal],
) -> Decimal:
    if dest is None or base <= 0:
        return ZERO
    matching = [
        r
        for r in rules.taxes_by_code.get((tax_code, dest.country), ())
        if r.matches(dest.country, dest.region, dest.postal_code)
    ]
    if not matching:
        return ZERO
    best = max(r.specificity for r in matching)
    tax = ZERO
    for r in sorted(matching, key=lambda r: r.name):
        if r.specificity != best:
            continue
        amount = quantize(base * r.rate / HUNDRED, cur)
        totals[(r.name, r.rate)] = totals.get((r.name, r.rate), ZERO) + amount
        tax += amount
    return tax

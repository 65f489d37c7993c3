"""Stage 7: tax on the goods after discounts and on shipping, by destination."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from core.money import ZERO
from pricing.engine.cart import Cart
from pricing.engine.money import HUNDRED, quantize, spread_shares
from pricing.engine.result import ShippingCharge
from pricing.engine.rules import Rules
from pricing.engine.snapshot import ShipTo, Snapshot

SHIPPING_TAX_CODE = "shipping"

TaxTotals = dict[tuple[str, Decimal], Decimal]  # (name, rate) -> amount


def apply_tax(
    s: Snapshot, rules: Rules, cart: Cart, charges: list[ShippingCharge]
) -> tuple[list[ShippingCharge], TaxTotals]:
    """Tax each line (onto the cart) and each shipping charge; the totals by tax and rate.

    Per line (the default): each line's and each charge's tax is rounded, and a tax's total is
    their sum. Per invoice (`rules.tax_per_invoice`): each tax is rounded once on the order's
    exact amounts and shared out to the lines and charges by largest remainder."""
    ship_to_by_key = {st.key: st for st in s.ship_tos}
    bases = [
        (line.src.tax_code, ship_to_by_key.get(line.src.ship_to), line.net) for line in cart.lines
    ] + [(SHIPPING_TAX_CODE, ship_to_by_key.get(c.ship_to), c.total) for c in charges]
    exact = [_exact_taxes(rules, code, dest, base) for code, dest, base in bases]
    if rules.tax_per_invoice:
        rounded = _rounded_per_invoice(exact, s.currency)
    else:
        rounded = [{key: quantize(a, s.currency) for key, a in t.items()} for t in exact]
    taxes: TaxTotals = {}
    for amounts in rounded:
        for key, amount in amounts.items():
            taxes[key] = taxes.get(key, ZERO) + amount
    per_target = [sum(amounts.values(), ZERO) for amounts in rounded]
    for line, tax in zip(cart.lines, per_target, strict=False):
        line.tax = tax
    taxed = [
        dataclasses.replace(c, tax=tax)
        for c, tax in zip(charges, per_target[len(cart.lines) :], strict=True)
    ]
    return taxed, taxes


def _exact_taxes(
    rules: Rules, tax_code: str, dest: ShipTo | None, base: Decimal
) -> dict[tuple[str, Decimal], Decimal]:
    """{(tax name, rate): unrounded amount} on this base at this destination (the most
    specific matching rates: a province's over the country's)."""
    if dest is None or base <= 0:
        return {}
    matching = [
        r
        for r in rules.taxes_by_code.get((tax_code, dest.country), ())
        if r.matches(dest.country, dest.region, dest.postal_code)
    ]
    if not matching:
        return {}
    best = max(r.specificity for r in matching)
    return {
        (r.name, r.rate): base * r.rate / HUNDRED
        for r in sorted(matching, key=lambda r: r.name)
        if r.specificity == best
    }


def _rounded_per_invoice(
    exact: list[dict[tuple[str, Decimal], Decimal]], currency: str
) -> list[dict[tuple[str, Decimal], Decimal]]:
    """Each tax rounded once on its exact total, shared out in proportion to the exact amounts
    (largest remainder): the shares add up to the rounded total."""
    rounded: list[dict[tuple[str, Decimal], Decimal]] = [{} for _ in exact]
    for key in sorted({key for amounts in exact for key in amounts}):
        holders = [i for i, amounts in enumerate(exact) if key in amounts]
        weights = [exact[i][key] for i in holders]
        total = quantize(sum(weights, ZERO), currency)
        for i, share in zip(holders, spread_shares(total, weights, currency), strict=True):
            rounded[i][key] = share
    return rounded

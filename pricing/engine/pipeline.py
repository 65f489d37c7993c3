"""`price()`: the stages in the order of the design, and the totals."""

from __future__ import annotations

import gc

from core.money import ZERO
from pricing.engine.adjustments import apply_adjustments
from pricing.engine.cart import Cart, Findings
from pricing.engine.money import quantize
from pricing.engine.prices import entitled_cart
from pricing.engine.promotions import (
    apply_promotions,
    promotion_candidates,
    qualifying_shipping_promotions,
)
from pricing.engine.result import PricedLine, PricedOrder, ShippingCharge, TaxAmount
from pricing.engine.rules import CODE_STAGES, Rules, Stage
from pricing.engine.shipping import shipping
from pricing.engine.snapshot import Snapshot
from pricing.engine.tax import TaxTotals, apply_tax


def price(snapshot: Snapshot, rules: Rules) -> PricedOrder:
    """Price the snapshot. Pure: no database, no clock, no randomness.

    The cyclic garbage collector waits while it runs: a big cart makes thousands of small
    objects a call (discounts, outcomes, explanations) and no reference cycle (see cart.Total),
    and the passes they set off walked them again and again (3 % of the engine's instructions
    at 2,000 promotions). They are freed as before, when their last reference goes; those
    still held are walked once, by the next pass after the call."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _price(snapshot, rules)
    finally:
        if paused:
            gc.enable()


def _price(snapshot: Snapshot, rules: Rules) -> PricedOrder:
    found = Findings()
    cart = entitled_cart(snapshot, rules, found)
    staged = promotion_candidates(snapshot, rules, cart, found)
    apply_promotions(staged, (Stage.PRODUCT,), cart, found)
    apply_promotions(staged, (Stage.ORDER,), cart, found)
    apply_promotions(staged, CODE_STAGES, cart, found)
    shipping_promotions = qualifying_shipping_promotions(staged, cart, found)
    overrides = apply_adjustments(snapshot.adjustments, cart, found)
    charges = shipping(snapshot, rules, cart, shipping_promotions, overrides, found)
    charges, taxes = apply_tax(snapshot, rules, cart, charges)
    return totals(snapshot.currency, cart, charges, taxes, found)


def totals(
    cur: str, cart: Cart, charges: list[ShippingCharge], taxes: TaxTotals, found: Findings
) -> PricedOrder:
    priced_lines = tuple(
        PricedLine(
            line_id=x.src.line_id,
            sku_id=x.src.sku_id,
            sku_code=x.src.sku_code,
            quantity=x.src.quantity,
            unit_price=x.unit_price,
            price_list_id=x.price_list_id,
            subtotal=x.gross,
            discounts=tuple(x.discounts),
            discount_total=x.gross - x.net,
            line_total=x.net,
            tax=x.tax,
            ship_to=x.src.ship_to,
        )
        for x in cart.lines
    )
    subtotal = sum((x.subtotal for x in priced_lines), ZERO)
    discount_total = sum((x.discount_total for x in priced_lines), ZERO)
    shipping_total = sum((c.total for c in charges), ZERO)
    tax_total = sum(taxes.values(), ZERO)
    total = subtotal - discount_total + shipping_total + tax_total
    return PricedOrder(
        currency=cur,
        lines=priced_lines,
        gifts=tuple(found.gifts),
        shipping=tuple(charges),
        taxes=tuple(TaxAmount(n, r, a) for (n, r), a in sorted(taxes.items())),
        subtotal=quantize(subtotal, cur),
        discount_total=quantize(discount_total, cur),
        shipping_total=quantize(shipping_total, cur),
        tax_total=quantize(tax_total, cur),
        total=quantize(total, cur),
        explanation=found.explanation(),
        applied_promotion_ids=tuple(found.used),
        awaiting_approval=tuple(found.awaiting_approval),
    )

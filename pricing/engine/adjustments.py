"""Stage 5: CSR adjustments on the goods (approved ones only), one strategy per kind.

A shipping override is not a discount on goods: it is kept for the shipping stage.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from pricing.engine.cart import Cart, Findings
from pricing.engine.money import HUNDRED, quantize
from pricing.engine.result import Applied
from pricing.engine.snapshot import Adjustment, AdjustmentKind

# A strategy gives what the adjustment took off the goods, or None when it could not apply
# (it then says why in a note).
Strategy = Callable[[Cart, Adjustment, str, Findings], Decimal | None]


def _order_amount(cart: Cart, adj: Adjustment, name: str, found: Findings) -> Decimal:
    return cart.spread(cart.lines, adj.value, "adjustment", adj.id, name)


def _order_percent(cart: Cart, adj: Adjustment, name: str, found: Findings) -> Decimal:
    value = cart.amount(cart.lines) * adj.value / HUNDRED
    return cart.spread(cart.lines, value, "adjustment", adj.id, name)


def _line_adjustment(percent: bool) -> Strategy:
    def apply(cart: Cart, adj: Adjustment, name: str, found: Findings) -> Decimal | None:
        target = next((x for x in cart.lines if x.src.line_id == adj.line_id), None)
        if target is None:
            found.notes.append(f"{name}: its line is no longer on the order.")
            return None
        value = target.net * adj.value / HUNDRED if percent else adj.value
        return target.take("adjustment", adj.id, name, quantize(value, cart.currency))

    return apply


GOODS_ADJUSTMENTS: dict[AdjustmentKind, Strategy] = {
    AdjustmentKind.ORDER_AMOUNT: _order_amount,
    AdjustmentKind.ORDER_PERCENT: _order_percent,
    AdjustmentKind.LINE_AMOUNT: _line_adjustment(percent=False),
    AdjustmentKind.LINE_PERCENT: _line_adjustment(percent=True),
}


def apply_adjustments(adjustments, cart: Cart, found: Findings) -> list[Adjustment]:
    """Apply the approved adjustments on goods in order; returns the shipping overrides."""
    overrides: list[Adjustment] = []
    for adj in adjustments:
        name = f"Adjustment: {adj.reason}" if adj.reason else "Adjustment"
        if not adj.approved:
            found.notes.append(f"{name} ({adj.value}) awaits a supervisor's approval: not applied.")
            found.awaiting_approval.append(adj.id)
            continue
        if adj.kind == AdjustmentKind.SHIPPING_OVERRIDE:
            overrides.append(adj)
            continue
        amount = GOODS_ADJUSTMENTS[adj.kind](cart, adj, name, found)
        if amount is not None:
            found.applied.append(Applied("adjustment", adj.id, name, amount))
    return overrides

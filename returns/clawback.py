"""The benefit the kept lines no longer earn once goods come back (e.g. "buy 2, get a case":
one notebook back, the case kept), so the refund gives it back to the store.

The order is priced twice by pricing's engine, writing nothing, at the moment it was submitted
and with the same rules: as ordered, and with only what the customer keeps. So a price or rule
change since the order cancels out; what differs is what the kept quantities no longer earn:
- a kept line's discount that shrank (its share of the original discount for the kept units
  less what the engine gives those units now);
- a gift the customer keeps but no longer earns, at what the gift SKU sells for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO, quantize
from orders.models import Order, OrderLine
from orders.pricing import read_for_pricing
from pricing import engine
from pricing.loader import rules_for_skus
from pricing.services import price_order


@dataclass(frozen=True)
class Clawback:
    amount: Decimal
    reasons: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


NONE = Clawback(ZERO)


def _gift_counts(priced: engine.PricedOrder) -> dict[int, int]:
    counts: dict[int, int] = {}
    for gift in priced.gifts:
        counts[gift.sku_id] = counts.get(gift.sku_id, 0) + gift.quantity
    return counts


def _promotions(priced: engine.PricedOrder) -> dict:
    return {a.source_id: a.name for a in priced.explanation.applied if a.source == "promotion"}


def order_clawback(order: Order, returned: dict[int, int]) -> Clawback:
    """What the kept goods no longer earn when `returned` ({order line id: units}) come back."""
    if not any(returned.values()):
        return NONE
    facts = read_for_pricing(order).facts
    priced, loaded = price_order(order=facts, now=order.submitted_at or order.created_at)
    cur = order.currency
    kept_lines = tuple(
        dataclasses.replace(line, quantity=line.quantity - returned.get(line.line_id, 0))
        for line in loaded.snapshot.lines
        if line.quantity > returned.get(line.line_id, 0)
    )
    kept_snapshot = dataclasses.replace(loaded.snapshot, lines=kept_lines)
    kept = engine.price(kept_snapshot, loaded.rules)

    amount = ZERO
    kept_by_id = {x.line_id: x for x in kept.lines}
    for line in priced.lines:
        now_line = kept_by_id.get(line.line_id)
        if now_line is None or not line.quantity:
            continue
        earned = quantize(line.discount_total * now_line.quantity / line.quantity, cur)
        amount += max(earned - now_line.discount_total, ZERO)

    reasons = []
    before, after = _gift_counts(priced), _gift_counts(kept)
    gift_rows = OrderLine.objects.filter(order=order, is_gift=True).select_related("sku")
    lost_gifts = {
        row.sku_id: (
            row,
            min(row.quantity - returned.get(row.pk, 0), before.get(row.sku_id, 0))
            - after.get(row.sku_id, 0),
        )
        for row in gift_rows
    }
    lost_gifts = {sku_id: v for sku_id, v in lost_gifts.items() if v[1] > 0}
    if lost_gifts:
        gifts_as_bought = tuple(
            engine.CartLine(
                line_id=f"gift-{row.pk}",
                sku_id=row.sku_id,
                sku_code=row.sku.code,
                quantity=quantity,
                ship_to=kept_lines[0].ship_to if kept_lines else "",
            )
            for row, quantity in lost_gifts.values()
        )
        # The loaded rules hold the prices of the order's bought SKUs only: add the gifts'.
        sku_ids = {x.sku_id for x in kept_lines + gifts_as_bought}
        valued = engine.price(
            dataclasses.replace(kept_snapshot, lines=kept_lines + gifts_as_bought),
            rules_for_skus(loaded.rules, sku_ids, cur),
        )
        for row, quantity in lost_gifts.values():
            value = valued.line(f"gift-{row.pk}").unit_price * quantity
            amount += value
            reasons.append(f"the customer keeps {quantity} × {row.sku.code} given free ({value})")

    lost = set(_promotions(priced)) - set(_promotions(kept))
    why = {n.promotion_id: n.message for n in kept.explanation.not_applied}
    names = _promotions(priced)
    for promotion_id in sorted(lost, key=str):
        message = why.get(promotion_id, "no longer earned").rstrip(".")
        reasons.insert(0, f"{names[promotion_id]}: {message}")
    amount = quantize(amount, cur)
    if amount <= 0:
        return NONE
    return Clawback(amount, tuple(reasons))

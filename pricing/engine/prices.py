"""Stage 1: the entitled unit price of each line, from the price lists the customer is entitled
to (contract, segment, guest, base), in the order's currency, at the line's quantity tier, with
category percentage adjustments over a base list."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from core.money import ZERO
from pricing.engine.cart import Cart, Findings, Line
from pricing.engine.money import HUNDRED, quantize
from pricing.engine.rules import KIND_RANK, PriceListKind, PriceListRule, Rules
from pricing.engine.snapshot import CartLine, Snapshot

# Who may buy from a list of each kind.
ENTITLED: dict[PriceListKind, Callable[[PriceListRule, Snapshot], bool]] = {
    PriceListKind.CONTRACT: lambda pl, s: (
        s.organization_id is not None and pl.organization_id == s.organization_id
    ),
    PriceListKind.SEGMENT: lambda pl, s: pl.segment_id in s.segment_ids,
    PriceListKind.GUEST: lambda pl, s: s.is_guest,
    PriceListKind.BASE: lambda pl, s: True,
}


def entitled_cart(s: Snapshot, rules: Rules, found: Findings) -> Cart:
    """The cart at entitled unit prices; a line without a price is priced at 0.00, with a note."""
    lines: list[Line] = []
    lists = entitled_lists(rules, s)
    for src in s.lines:
        if src.agreed_unit_price is not None:
            price = (quantize(src.agreed_unit_price, s.currency), None)
        else:
            price = entitled_price(rules, s, src, lists)
        if price is None:
            found.notes.append(f"{src.sku_code} has no {s.currency} price; priced at 0.00.")
            price = (ZERO, None)
        lines.append(Line(src, price[0], price[1], s.currency))
    return Cart(s, lines, rules)


def entitled_price(
    rules: Rules, snapshot: Snapshot, line: CartLine, lists: list[PriceListRule] | None = None
) -> tuple[Decimal, int | None] | None:
    """The customer's unit price for this line, and the list it came from (None: no price)."""
    for price_list in lists if lists is not None else entitled_lists(rules, snapshot):
        found = _list_price(rules, price_list, line, depth=0)
        if found is not None:
            return quantize(found, snapshot.currency), price_list.id
    return None


def entitled_lists(rules: Rules, s: Snapshot) -> list[PriceListRule]:
    """The live lists in the order's currency the customer is entitled to, best first."""
    lists = [
        pl
        for pl in rules.price_lists
        if pl.currency == s.currency and pl.is_live(s.now) and ENTITLED[pl.kind](pl, s)
    ]
    lists.sort(key=lambda pl: (KIND_RANK[pl.kind], pl.priority, pl.id))
    return lists


def _list_price(rules: Rules, pl: PriceListRule, line: CartLine, depth: int) -> Decimal | None:
    tiers = pl.prices.get(line.sku_id)
    if tiers:
        best = None
        for tier in tiers:
            if tier.min_quantity <= line.quantity and (
                best is None or tier.min_quantity > best.min_quantity
            ):
                best = tier
        if best is not None:
            return best.price
    if pl.base_list_id is not None and depth < 5:
        base = rules.price_lists_by_id.get(pl.base_list_id)
        if base is None:
            return None
        base_price = _list_price(rules, base, line, depth + 1)
        if base_price is None:
            return None
        by_category = pl.adjustment_by_category
        for category_id in line.category_ids:  # most specific category first
            if category_id in by_category:
                return base_price * (HUNDRED + by_category[category_id]) / HUNDRED
        return base_price
    return None

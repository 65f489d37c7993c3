"""The in-memory cart the stages and strategies work on: running net amounts per line."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.money import ZERO
from pricing.engine.money import (
    largest_remainder,
    quantize,
    scales_of,
    spread_shares,
    whole_minor_units,
)
from pricing.engine.result import (
    Applied,
    Discount,
    Explanation,
    Gift,
    NearMiss,
    NotApplied,
)
from pricing.engine.rules import PromotionRule, Reason, Rules
from pricing.engine.snapshot import CartLine, Snapshot

_new_tuple = tuple.__new__


class Total:
    """The cart's running net total, which each line keeps up to date as it is discounted.
    Lines point to it, not to the cart: a line -> cart -> lines cycle left every priced cart
    for the garbage collector (thousands of objects a call, and its full collections)."""

    __slots__ = ("net",)

    def __init__(self, net: Decimal):
        self.net = net


class Line:
    __slots__ = (
        "cents",
        "discounts",
        "gross",
        "net",
        "price_list_id",
        "src",
        "tax",
        "total",
        "unit_price",
    )

    def __init__(self, src: CartLine, unit_price: Decimal, price_list_id: int | None, cur: str):
        self.src = src
        self.unit_price = unit_price
        self.price_list_id = price_list_id
        self.gross = quantize(unit_price * src.quantity, cur)
        self.net = self.gross
        # `net` in minor units, as the last spread left it (None: not known since). An order
        # promotion spreads over every line, and a big cart's order promotions are dozens.
        self.cents: int | None = None
        self.discounts: list[Discount] = []
        self.tax = ZERO
        self.total: Total  # set by the cart the line is made for

    def take(self, source: str, source_id, name: str, amount: Decimal) -> Decimal:
        """Discount this line by up to `amount`; never below zero. Returns what was taken."""
        net = self.net
        if amount > net:
            amount = net
        if amount <= ZERO:
            return ZERO
        self.net = net - amount
        self.cents = None
        # tuple.__new__ skips the named tuple's own __new__ frame: a big cart takes thousands
        self.discounts.append(_new_tuple(Discount, (source, source_id, name, amount)))
        self.total.net -= amount
        return amount


def _dearest(line: Line):
    return -line.unit_price


def _cheapest(line: Line):
    return (line.unit_price, str(line.src.line_id))


_NO_LINES: list[Line] = []


class Cart:
    def __init__(self, snapshot: Snapshot, lines: list[Line], rules: Rules):
        """`lines`: one per line of the snapshot, in its order."""
        self.snapshot = snapshot
        self.currency = snapshot.currency
        self.lines = lines
        targeted = rules.targeted_lines((x.src.sku_id, x.src.category_ids, x) for x in lines)
        self.promotions = rules.in_order(targeted)  # those that concern this cart, in order
        ordered = rules.promotions_in_order
        # promotion id -> the lines it targets by SKU or category, in cart order
        self._targeted = {ordered[position].id: found for position, found in targeted.items()}
        self._get_items: dict[int, list[Line]] = {}
        self._qty: dict[int, int] = {}
        self._ranked: dict[tuple[int, bool], list[Line]] = {}
        self.total = Total(sum((line.net for line in lines), ZERO))
        for line in lines:
            line.total = self.total

    def targets(self, p: PromotionRule, get: bool = False) -> list[Line]:
        """The lines a promotion targets (or its get-items), found once per cart. Never to be
        changed: the same list is handed out on every call."""
        if get and (p.get_sku_ids or p.get_category_ids):
            found = self._get_items.get(p.id)
            if found is None:
                found = self._get_items[p.id] = [x for x in self.lines if p.get_targets(x.src)]
            return found
        if not p.sku_ids and not p.category_ids:
            return self.lines
        return self._targeted.get(p.id, _NO_LINES)

    # Unit prices never change while pricing either: each promotion's targets are ranked once.
    def dearest_first(self, p: PromotionRule) -> list[Line]:
        """The promotion's targets, the highest unit price first (ties in cart order)."""
        found = self._ranked.get((p.id, False))
        if found is None:
            found = self._ranked[p.id, False] = sorted(self.targets(p), key=_dearest)
        return found

    def cheapest_get_items(self, p: PromotionRule) -> list[Line]:
        """The promotion's get-items, the lowest unit price first (ties by line id)."""
        found = self._ranked.get((p.id, True))
        if found is None:
            found = self._ranked[p.id, True] = sorted(self.targets(p, get=True), key=_cheapest)
        return found

    def quantity(self, lines: list[Line]) -> int:
        """Quantities never change while pricing; target lists are cached, so cache by id."""
        found = self._qty.get(id(lines))
        if found is None:
            found = self._qty[id(lines)] = sum(line.src.quantity for line in lines)
        return found

    def amount(self, lines: list[Line]) -> Decimal:
        if lines is self.lines:
            return self.total.net
        return sum([line.net for line in lines], ZERO)

    def spread(self, lines: list[Line], amount: Decimal, source: str, sid, name: str) -> Decimal:
        """An order-level amount off, distributed across `lines` by their net (largest
        remainder), so the shares add up to exactly what was taken."""
        cur = self.currency
        available = self.amount(lines)
        amount = min(quantize(amount, cur), available)
        if amount <= 0:
            return ZERO
        # A line with nothing left weighs zero, so its share is zero (largest remainder gives
        # the leftover units only to non-zero remainders) and it takes nothing: leaving it out
        # changes no share and no discount. Many stacked promotions empty lines early.
        live = [line for line in lines if line.net]
        weights = [line.cents for line in live]
        if None in weights:
            weights = whole_minor_units([line.net for line in live], cur)
        if weights is None or min(weights) < 0:  # never from the engine's own amounts
            shares = spread_shares(amount, [line.net for line in live], cur)
            for line, share in zip(live, shares, strict=True):
                if share > ZERO:
                    line.take(source, sid, name, share)
            return amount
        scale, unit = scales_of(cur)
        units = largest_remainder(int(amount * scale), weights)
        # Line.take inlined (a big cart's order promotions take a share on every line: most of
        # the discounts made), the running total moved once by what the lines took.
        taken = ZERO
        for line, n, cents in zip(live, units, weights, strict=True):
            line.cents = cents - n
            if n:  # a zero share takes nothing
                share = n * unit  # n × 0.01, as spread_shares makes it
                line.net -= share
                line.discounts.append(_new_tuple(Discount, (source, sid, name, share)))
                taken += share
        self.total.net -= taken
        return amount


@dataclass
class Outcome:
    """What one condition check found: satisfied, or why not, and how close. Never changed
    once made: the common ones are shared (promotions.MET, NO_ITEMS)."""

    ok: bool
    reason: Reason | None = None
    message: str = ""
    near_miss: str = ""
    times: int = 1  # how many times the condition is met (gifts, bundles)


@dataclass
class Findings:
    """What the stages found so far: the explanation being written, the gifts earned, the
    promotions used (in the order they applied) and the adjustments awaiting approval."""

    applied: list[Applied] = field(default_factory=list)
    not_applied: list[NotApplied] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gifts: list[Gift] = field(default_factory=list)
    used: list[int] = field(default_factory=list)
    awaiting_approval: list[int] = field(default_factory=list)

    def explanation(self) -> Explanation:
        return Explanation(
            tuple(self.applied),
            tuple(self.not_applied),
            tuple(self.near_misses),
            tuple(self.notes),
        )

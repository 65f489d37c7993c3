"""The in-memory cart the stages and strategies work on: running net amounts per line."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.money import ZERO
from pricing.engine.money import quantize, spread_shares
from pricing.engine.result import (
    Applied,
    Discount,
    Explanation,
    Gift,
    NearMiss,
    NotApplied,
)
from pricing.engine.rules import PromotionRule, Reason
from pricing.engine.snapshot import CartLine, Snapshot


class Line:
    __slots__ = ("cart", "discounts", "gross", "net", "price_list_id", "src", "tax", "unit_price")

    def __init__(self, src: CartLine, unit_price: Decimal, price_list_id: int | None, cur: str):
        self.src = src
        self.unit_price = unit_price
        self.price_list_id = price_list_id
        self.gross = quantize(unit_price * src.quantity, cur)
        self.net = self.gross
        self.discounts: list[Discount] = []
        self.tax = ZERO
        self.cart: Cart | None = None

    def take(self, source: str, source_id, name: str, amount: Decimal) -> Decimal:
        """Discount this line by up to `amount`; never below zero. Returns what was taken."""
        if amount > self.net:
            amount = self.net
        if amount <= 0:
            return ZERO
        self.net -= amount
        self.discounts.append(Discount(source, source_id, name, amount))
        if self.cart is not None:
            self.cart.total_net -= amount
        return amount


class Cart:
    def __init__(self, snapshot: Snapshot, lines: list[Line]):
        self.snapshot = snapshot
        self.currency = snapshot.currency
        self.lines = lines
        self._targets: dict[tuple[int, bool], list[Line]] = {}
        self._by_sku: dict[int, list[int]] = {}
        self._by_cat: dict[int, list[int]] = {}
        for i, line in enumerate(lines):
            self._by_sku.setdefault(line.src.sku_id, []).append(i)
            for cat in line.src.category_ids:
                self._by_cat.setdefault(cat, []).append(i)
        self._sku_keys = frozenset(self._by_sku)
        self._cat_keys = frozenset(self._by_cat)
        self._qty: dict[int, int] = {}
        self.total_net = sum((line.net for line in lines), ZERO)
        for line in lines:
            line.cart = self

    def targets(self, p: PromotionRule, get: bool = False) -> list[Line]:
        """The lines a promotion targets (or its get-items), from an index: cheap per call."""
        key = (p.id, get)
        found = self._targets.get(key)
        if found is None:
            skus, cats = p.sku_ids, p.category_ids
            if get and (p.get_sku_ids or p.get_category_ids):
                skus, cats = p.get_sku_ids, p.get_category_ids
            if not skus and not cats:
                found = self.lines
            else:
                picked: set[int] = set()
                for sku in self._sku_keys & skus:
                    picked.update(self._by_sku[sku])
                for cat in self._cat_keys & cats:
                    picked.update(self._by_cat[cat])
                found = [self.lines[i] for i in sorted(picked)]
            self._targets[key] = found
        return found

    def quantity(self, lines: list[Line]) -> int:
        """Quantities never change while pricing; target lists are cached, so cache by id."""
        found = self._qty.get(id(lines))
        if found is None:
            found = self._qty[id(lines)] = sum(line.src.quantity for line in lines)
        return found

    def amount(self, lines: list[Line]) -> Decimal:
        if lines is self.lines:
            return self.total_net
        return sum((line.net for line in lines), ZERO)

    def spread(self, lines: list[Line], amount: Decimal, source: str, sid, name: str) -> Decimal:
        """An order-level amount off, distributed across `lines` by their net (largest
        remainder), so the shares add up to exactly what was taken."""
        available = self.amount(lines)
        amount = min(quantize(amount, self.currency), available)
        if amount <= 0:
            return ZERO
        shares = spread_shares(amount, [line.net for line in lines], self.currency)
        for line, share in zip(lines, shares, strict=True):
            line.take(source, sid, name, share)
        return amount


@dataclass
class Outcome:
    """What one condition check found: satisfied, or why not, and how close."""

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

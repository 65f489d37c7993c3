"""Promotions: gates, conditions and benefits (strategy objects, as in django-oscar's offer
engine), and the stages that pick the candidates and apply them.

Exclusivity: every promotion whose gates pass (segment, schedule, code/coupon, limits) and
whose condition holds on the entitled cart is a candidate. Candidates are ranked by priority
(lower number first, then id). If the best candidate is exclusive, it applies alone; otherwise
every combinable candidate applies, stage by stage, and the exclusive ones are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import chain

from core.money import ZERO
from pricing.engine.cart import Cart, Findings, Line, Outcome
from pricing.engine.money import HUNDRED, quantize
from pricing.engine.result import Applied, Gift, NearMiss, NotApplied
from pricing.engine.rules import SHIPPING_REWARDS, PromotionRule, Reason, Reward, Rules, Stage
from pricing.engine.snapshot import Allowance, Snapshot

# --- conditions --------------------------------------------------------------------------------


class Condition:
    """The cart condition of a promotion: targeted items, minimum quantity or amount."""

    def __init__(self, promotion: PromotionRule):
        self.p = promotion

    def check(self, cart: Cart) -> Outcome:
        p = self.p
        cur = cart.currency
        targets = cart.targets(p)
        if not targets:
            return Outcome(False, Reason.NO_QUALIFYING_ITEMS, "No qualifying items in the cart.")
        qty = cart.quantity(targets)
        amount = cart.amount(targets)
        need_qty = max(p.min_quantity, p.buy_quantity + _same_set_get(p), 1)
        if qty < need_qty:
            missing = need_qty - qty
            return Outcome(
                False,
                Reason.MINIMUM_NOT_MET,
                f"Needs {need_qty} qualifying items; the cart has {qty}.",
                near_miss=f"Add {missing} more to get “{p.name}”.",
            )
        if p.min_amount and amount < p.min_amount:
            gap = quantize(p.min_amount - amount, cur)
            near = f"Add {gap} more for “{p.name}”." if amount * 2 >= p.min_amount else ""
            return Outcome(
                False,
                Reason.MINIMUM_NOT_MET,
                f"Needs {quantize(p.min_amount, cur)} of qualifying items; the cart has "
                f"{quantize(amount, cur)}.",
                near_miss=near,
            )
        times = 1
        if p.reward == Reward.BUY_X_GET_Y or (p.reward == Reward.PRODUCT_GIFT and p.min_quantity):
            times = qty // need_qty  # a gift per multiple of its minimum; none set: one gift
        if p.max_per_order is not None and p.reward in (Reward.PRODUCT_GIFT, Reward.BUY_X_GET_Y):
            times = min(times, p.max_per_order)
        return Outcome(True, times=times)


def _same_set_get(p: PromotionRule) -> int:
    """Buy X get Y from the same items needs X + Y of them in the cart."""
    if p.reward != Reward.BUY_X_GET_Y:
        return 0
    return p.get_quantity if not (p.get_sku_ids or p.get_category_ids) else 0


def shipping_condition(p: PromotionRule, cart: Cart) -> Outcome:
    """A shipping promotion's condition: qualifying goods, minimum amount or quantity."""
    targets = cart.targets(p)
    if not targets:
        return Outcome(False, Reason.NO_QUALIFYING_ITEMS, "No qualifying items in the cart.")
    amount = cart.amount(targets)
    if p.min_amount and amount < p.min_amount:
        gap = quantize(p.min_amount - amount, cart.currency)
        near = f"Add {gap} more for “{p.name}”." if amount * 2 >= p.min_amount else ""
        return Outcome(
            False,
            Reason.MINIMUM_NOT_MET,
            f"Needs {quantize(p.min_amount, cart.currency)} of goods; the cart has "
            f"{quantize(amount, cart.currency)}.",
            near_miss=near,
        )
    qty = cart.quantity(targets)
    if p.min_quantity and qty < p.min_quantity:
        return Outcome(
            False,
            Reason.MINIMUM_NOT_MET,
            f"Needs {p.min_quantity} qualifying items; the cart has {qty}.",
            near_miss=f"Add {p.min_quantity - qty} more for “{p.name}”.",
        )
    return Outcome(True)


def check(p: PromotionRule, cart: Cart) -> Outcome:
    if p.reward in SHIPPING_REWARDS:
        return shipping_condition(p, cart)
    return Condition(p).check(cart)


# --- benefits ----------------------------------------------------------------------------------


class Benefit:
    """Applies a promotion's reward to the cart; returns the amount given (0 if nothing)."""

    def __init__(self, promotion: PromotionRule):
        self.p = promotion

    def apply(self, cart: Cart, outcome: Outcome, gifts: list[Gift]) -> Decimal:
        raise NotImplementedError

    def _take(self, line: Line, amount: Decimal) -> Decimal:
        return line.take("promotion", self.p.id, self.p.name, amount)


class PercentOffEachItem(Benefit):
    def apply(self, cart, outcome, gifts):
        p, cur = self.p, cart.currency
        given = ZERO
        budget = p.max_per_order  # items
        for line in sorted(cart.targets(p), key=lambda x: -x.unit_price):
            qty = line.src.quantity if budget is None else min(budget, line.src.quantity)
            if qty <= 0:
                break
            base = line.net if qty == line.src.quantity else line.net * qty / line.src.quantity
            given += self._take(line, quantize(base * p.percent / HUNDRED, cur))
            if budget is not None:
                budget -= qty
        return given


class FixedOffEachItem(Benefit):
    def apply(self, cart, outcome, gifts):
        p, cur = self.p, cart.currency
        given = ZERO
        budget = p.max_per_order
        for line in sorted(cart.targets(p), key=lambda x: -x.unit_price):
            qty = line.src.quantity if budget is None else min(budget, line.src.quantity)
            if qty <= 0:
                break
            given += self._take(line, quantize(p.amount * qty, cur))
            if budget is not None:
                budget -= qty
        return given


class FixedOffAllItems(Benefit):
    def apply(self, cart, outcome, gifts):
        p = self.p
        return cart.spread(cart.targets(p), p.amount, "promotion", p.id, p.name)


class BuyXGetY(Benefit):
    """Buy X qualifying items, get Y (the cheapest of the get-items) at `percent` off."""

    def apply(self, cart, outcome, gifts):
        p, cur = self.p, cart.currency
        bundles = outcome.times
        if not (p.get_sku_ids or p.get_category_ids):
            bundles = cart.quantity(cart.targets(p)) // (p.buy_quantity + p.get_quantity)
        else:
            bundles = cart.quantity(cart.targets(p)) // max(p.buy_quantity, 1)
        if p.max_per_order is not None:
            bundles = min(bundles, p.max_per_order)
        free_units = bundles * p.get_quantity
        given = ZERO
        for line in sorted(
            cart.targets(p, get=True), key=lambda x: (x.unit_price, str(x.src.line_id))
        ):
            if free_units <= 0:
                break
            qty = min(free_units, line.src.quantity)
            unit_net = line.net / line.src.quantity
            given += self._take(line, quantize(unit_net * qty * p.percent / HUNDRED, cur))
            free_units -= qty
        return given


class FreeGift(Benefit):
    def apply(self, cart, outcome, gifts):
        p = self.p
        if p.gift_sku_id is None:
            return ZERO
        times = outcome.times if p.reward == Reward.PRODUCT_GIFT else 1
        targets = cart.targets(p)
        ship_to = targets[0].src.ship_to if targets else ""
        gifts.append(
            Gift(p.id, p.name, p.gift_sku_id, p.gift_sku_code, p.gift_quantity * times, ship_to)
        )
        return ZERO


class PercentOffOrder(Benefit):
    def apply(self, cart, outcome, gifts):
        p = self.p
        base = cart.amount(cart.lines)
        return cart.spread(cart.lines, base * p.percent / HUNDRED, "promotion", p.id, p.name)


class FixedOffOrder(Benefit):
    def apply(self, cart, outcome, gifts):
        p = self.p
        return cart.spread(cart.lines, p.amount, "promotion", p.id, p.name)


BENEFITS: dict[Reward, type[Benefit]] = {
    Reward.PRODUCT_PERCENT: PercentOffEachItem,
    Reward.PRODUCT_FIXED_EACH: FixedOffEachItem,
    Reward.PRODUCT_FIXED_ALL: FixedOffAllItems,
    Reward.BUY_X_GET_Y: BuyXGetY,
    Reward.PRODUCT_GIFT: FreeGift,
    Reward.ORDER_PERCENT: PercentOffOrder,
    Reward.ORDER_FIXED: FixedOffOrder,
    Reward.ORDER_GIFT: FreeGift,
}


# --- gates: segment, schedule, code/coupon, currency, limits ------------------------------------


def gate(p: PromotionRule, s: Snapshot, allowances: dict[int, Allowance]) -> NotApplied | None:
    if p.segment_ids and p.segment_ids.isdisjoint(s.segment_ids):
        who = "Guests are" if s.is_guest else "This customer is"
        return NotApplied(p.id, p.name, Reason.NOT_IN_SEGMENT, f"{who} not in its segments.")
    if not p.schedule.contains(s.now):
        return NotApplied(p.id, p.name, Reason.OUTSIDE_SCHEDULE, "Outside its schedule.")
    if p.currency and p.currency != s.currency:
        return NotApplied(p.id, p.name, Reason.WRONG_CURRENCY, f"Only for {p.currency} orders.")
    if p.coupon and p.id not in s.coupon_promotion_ids:
        return NotApplied(
            p.id, p.name, Reason.COUPON_NOT_SELECTED, "Needs a coupon from the wallet."
        )
    if not p.coupon and p.code and p.code_required and p.code not in s.codes:
        return NotApplied(
            p.id, p.name, Reason.CODE_NOT_ENTERED, f"Code {p.code} has not been entered."
        )
    allowance = allowances.get(p.id)
    if allowance is not None:
        if allowance.overall is not None and allowance.overall <= 0:
            return NotApplied(p.id, p.name, Reason.LIMIT_REACHED, "All its uses are taken.")
        if allowance.customer is not None and allowance.customer <= 0:
            return NotApplied(
                p.id, p.name, Reason.LIMIT_REACHED, "This customer has used it up to its limit."
            )
    return None


# --- stages ------------------------------------------------------------------------------------

# Per stage, (promotion, still a candidate) in the order they apply: priority, then id.
Staged = dict[Stage, list[tuple[PromotionRule, bool]]]


def promotion_candidates(s: Snapshot, rules: Rules, cart: Cart, found: Findings) -> Staged:
    """Which promotions are candidates, and exclusivity. Only promotions whose items are in
    the cart, or store-wide ones, are considered (and explained). A promotion whose condition
    fails on the entitled cart cannot pass later (discounts only lower amounts); it is
    explained at its own stage, on the running amounts, so "add N more" is right."""
    allowances = {a.promotion_id: a for a in s.allowances}
    candidates: list[PromotionRule] = []
    explain_later: list[PromotionRule] = []
    for p in rules.promotions_for(s.lines):
        refused = gate(p, s, allowances)
        if refused is not None:
            found.not_applied.append(refused)
            continue
        outcome = check(p, cart)
        if outcome.ok:
            candidates.append(p)
        elif outcome.reason == Reason.NO_QUALIFYING_ITEMS:
            found.not_applied.append(NotApplied(p.id, p.name, outcome.reason, outcome.message))
        else:
            explain_later.append(p)
    candidates = _exclusivity(candidates, found)
    staged: Staged = {stage: [] for stage in Stage}
    for p, candidate in sorted(
        [(p, True) for p in candidates] + [(p, False) for p in explain_later],
        key=lambda pc: (pc[0].priority, pc[0].id),
    ):
        staged[p.stage].append((p, candidate))
    return staged


def _exclusivity(candidates: list[PromotionRule], found: Findings) -> list[PromotionRule]:
    if candidates and candidates[0].exclusive:
        winner = candidates[0]
        for p in candidates[1:]:
            found.not_applied.append(
                NotApplied(
                    p.id,
                    p.name,
                    Reason.EXCLUDED_BY_EXCLUSIVE,
                    f"Excluded by the exclusive promotion “{winner.name}”.",
                )
            )
        return candidates[:1]
    kept = []
    for p in candidates:
        if p.exclusive:
            found.not_applied.append(
                NotApplied(
                    p.id,
                    p.name,
                    Reason.EXCLUDED_BY_EXCLUSIVE,
                    "Exclusive, and a higher-priority promotion applies.",
                )
            )
        else:
            kept.append(p)
    return kept


def _passes(p: PromotionRule, candidate: bool, cart: Cart, found: Findings) -> Outcome | None:
    """The promotion's outcome on the running amounts if it applies; None (explained) if not."""
    outcome = check(p, cart)
    if candidate and outcome.ok:
        return outcome
    message = outcome.message
    if candidate:
        message += " (after earlier discounts)"
    found.not_applied.append(NotApplied(p.id, p.name, outcome.reason, message))
    if outcome.near_miss:
        found.near_misses.append(NearMiss(p.id, p.name, outcome.near_miss))
    return None


def apply_promotions(staged: Staged, stages: Iterable[Stage], cart: Cart, found: Findings):
    """Apply the staged promotions of these stages, in order, each checked on the running
    amounts."""
    for p, candidate in chain.from_iterable(staged[stage] for stage in stages):
        outcome = _passes(p, candidate, cart, found)
        if outcome is None:
            continue
        gifts_before = len(found.gifts)
        amount = BENEFITS[p.reward](p).apply(cart, outcome, found.gifts)
        if amount > 0 or len(found.gifts) > gifts_before:
            found.used.append(p.id)
            detail = ""
            if len(found.gifts) > gifts_before:
                g = found.gifts[-1]
                detail = f"Free gift: {g.quantity} × {g.sku_code}"
            found.applied.append(Applied("promotion", p.id, p.name, amount, detail))
        else:
            found.not_applied.append(
                NotApplied(p.id, p.name, Reason.NOTHING_TO_DISCOUNT, "Nothing left to discount.")
            )


def qualifying_shipping_promotions(
    staged: Staged, cart: Cart, found: Findings
) -> list[PromotionRule]:
    """The shipping promotions whose condition holds on the goods after every other promotion,
    before the CSR adjustments; they cut the charges at the shipping stage."""
    return [
        p
        for p, candidate in staged[Stage.SHIPPING]
        if _passes(p, candidate, cart, found) is not None
    ]

"""Promotions: gates, conditions (one per kind of reward) and benefits (a function per kind of
reward, the strategies of django-oscar's offer engine), and the stages that pick the candidates
and apply them.

Exclusivity: every promotion whose gates pass (segment, schedule, code/coupon, limits) and
whose condition holds on the entitled cart is a candidate. Candidates are ranked by priority
(lower number first, then id). If the best candidate is exclusive, it applies alone; otherwise
every combinable candidate applies, stage by stage, and the exclusive ones are skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain

from core.money import ZERO
from pricing.engine.cart import Cart, Findings, Outcome
from pricing.engine.money import HUNDRED, minor_unit, quantize
from pricing.engine.result import Applied, Gift, NearMiss, NotApplied
from pricing.engine.rules import SHIPPING_REWARDS, PromotionRule, Reason, Reward, Rules, Stage
from pricing.engine.snapshot import Allowance, Snapshot

# --- conditions --------------------------------------------------------------------------------


# The outcomes most checks end in, made once (a cart checks hundreds of promotions).
MET = Outcome(True)
NO_ITEMS = Outcome(False, Reason.NO_QUALIFYING_ITEMS, "No qualifying items in the cart.")


def items_condition(p: PromotionRule, cart: Cart) -> Outcome:
    """The condition of a product or order promotion: targeted items, minimum quantity or
    amount."""
    cur = cart.currency
    targets = cart.targets(p)
    if not targets:
        return NO_ITEMS
    qty = cart.quantity(targets)
    need_qty = p.need_quantity
    if qty < need_qty:
        missing = need_qty - qty
        return Outcome(
            False,
            Reason.MINIMUM_NOT_MET,
            f"Needs {need_qty} qualifying items; the cart has {qty}.",
            near_miss=f"Add {missing} more to get “{p.name}”.",
        )
    amount = cart.amount(targets) if p.min_amount else ZERO
    if p.min_amount and amount < p.min_amount:
        return _short_of_minimum(p, amount, cur, "qualifying items")
    times = 1
    if p.reward == Reward.BUY_X_GET_Y or (p.reward == Reward.PRODUCT_GIFT and p.min_quantity):
        times = qty // need_qty  # a gift per multiple of its minimum; none set: one gift
    if p.max_per_order is not None and p.reward in (Reward.PRODUCT_GIFT, Reward.BUY_X_GET_Y):
        times = min(times, p.max_per_order)
    return MET if times == 1 else Outcome(True, times=times)


def _short_of_minimum(p: PromotionRule, amount: Decimal, currency: str, of_what: str) -> Outcome:
    """The outcome of a minimum amount not met; a near miss when the cart has half of it."""
    gap = quantize(p.min_amount - amount, currency)
    near = f"Add {gap} more for “{p.name}”." if amount * 2 >= p.min_amount else ""
    return Outcome(
        False,
        Reason.MINIMUM_NOT_MET,
        f"Needs {quantize(p.min_amount, currency)} of {of_what}; the cart has "
        f"{quantize(amount, currency)}.",
        near_miss=near,
    )


def shipping_condition(p: PromotionRule, cart: Cart) -> Outcome:
    """A shipping promotion's condition: qualifying goods, minimum amount or quantity."""
    targets = cart.targets(p)
    if not targets:
        return NO_ITEMS
    amount = cart.amount(targets)
    if p.min_amount and amount < p.min_amount:
        return _short_of_minimum(p, amount, cart.currency, "goods")
    qty = cart.quantity(targets)
    if p.min_quantity and qty < p.min_quantity:
        return Outcome(
            False,
            Reason.MINIMUM_NOT_MET,
            f"Needs {p.min_quantity} qualifying items; the cart has {qty}.",
            near_miss=f"Add {p.min_quantity - qty} more for “{p.name}”.",
        )
    return MET


def check(p: PromotionRule, cart: Cart) -> Outcome:
    if p.reward in SHIPPING_REWARDS:
        return shipping_condition(p, cart)
    return items_condition(p, cart)


# --- benefits ----------------------------------------------------------------------------------


# A benefit applies a promotion's reward to the cart and returns the amount given (0 if
# nothing): one function per kind of reward (the strategies of django-oscar's offer engine, as
# functions: a cart applies hundreds of promotions, and an object made for each cost more than
# the smaller rewards themselves).
Benefit = Callable[[PromotionRule, Cart, Outcome, list[Gift]], Decimal]

# The per-item benefits below run once per targeted line: the promotion's fields are read
# once into locals and each line's discount is taken directly (a big cart takes thousands).


def percent_off_each_item(p: PromotionRule, cart: Cart, outcome: Outcome, gifts) -> Decimal:
    unit = minor_unit(cart.currency)
    pid, name, percent = p.id, p.name, p.percent
    given = ZERO
    budget = p.max_per_order  # items
    for line in cart.dearest_first(p):
        quantity = line.src.quantity
        qty = quantity if budget is None else min(budget, quantity)
        if qty <= 0:
            break
        net = line.net
        if net:  # an emptied line takes nothing: no need to work out a zero
            base = net if qty == quantity else net * qty / quantity
            off = (base * percent / HUNDRED).quantize(unit, ROUND_HALF_UP)
            given += line.take("promotion", pid, name, off)
        if budget is not None:
            budget -= qty
    return given


def fixed_off_each_item(p: PromotionRule, cart: Cart, outcome: Outcome, gifts) -> Decimal:
    unit = minor_unit(cart.currency)
    pid, name, amount = p.id, p.name, p.amount
    given = ZERO
    budget = p.max_per_order
    for line in cart.dearest_first(p):
        quantity = line.src.quantity
        qty = quantity if budget is None else min(budget, quantity)
        if qty <= 0:
            break
        if line.net:
            off = (amount * qty).quantize(unit, ROUND_HALF_UP)
            given += line.take("promotion", pid, name, off)
        if budget is not None:
            budget -= qty
    return given


def fixed_off_all_items(p: PromotionRule, cart: Cart, outcome: Outcome, gifts) -> Decimal:
    return cart.spread(cart.targets(p), p.amount, "promotion", p.id, p.name)


def buy_x_get_y(p: PromotionRule, cart: Cart, outcome: Outcome, gifts) -> Decimal:
    """Buy X qualifying items, get Y (the cheapest of the get-items) at `percent` off."""
    cur = cart.currency
    if not (p.get_sku_ids or p.get_category_ids):
        bundles = cart.quantity(cart.targets(p)) // (p.buy_quantity + p.get_quantity)
    else:
        bundles = cart.quantity(cart.targets(p)) // max(p.buy_quantity, 1)
    if p.max_per_order is not None:
        bundles = min(bundles, p.max_per_order)
    free_units = bundles * p.get_quantity
    given = ZERO
    for line in cart.cheapest_get_items(p):
        if free_units <= 0:
            break
        qty = min(free_units, line.src.quantity)
        if line.net:
            unit_net = line.net / line.src.quantity
            off = quantize(unit_net * qty * p.percent / HUNDRED, cur)
            given += line.take("promotion", p.id, p.name, off)
        free_units -= qty
    return given


def free_gift(p: PromotionRule, cart: Cart, outcome: Outcome, gifts) -> Decimal:
    if p.gift_sku_id is None:
        return ZERO
    times = outcome.times if p.reward == Reward.PRODUCT_GIFT else 1
    targets = cart.targets(p)
    ship_to = targets[0].src.ship_to if targets else ""
    gifts.append(
        Gift(p.id, p.name, p.gift_sku_id, p.gift_sku_code, p.gift_quantity * times, ship_to)
    )
    return ZERO


def percent_off_order(p: PromotionRule, cart: Cart, outcome: Outcome, gifts) -> Decimal:
    base = cart.amount(cart.lines)
    return cart.spread(cart.lines, base * p.percent / HUNDRED, "promotion", p.id, p.name)


def fixed_off_order(p: PromotionRule, cart: Cart, outcome: Outcome, gifts) -> Decimal:
    return cart.spread(cart.lines, p.amount, "promotion", p.id, p.name)


BENEFITS: dict[Reward, Benefit] = {
    Reward.PRODUCT_PERCENT: percent_off_each_item,
    Reward.PRODUCT_FIXED_EACH: fixed_off_each_item,
    Reward.PRODUCT_FIXED_ALL: fixed_off_all_items,
    Reward.BUY_X_GET_Y: buy_x_get_y,
    Reward.PRODUCT_GIFT: free_gift,
    Reward.ORDER_PERCENT: percent_off_order,
    Reward.ORDER_FIXED: fixed_off_order,
    Reward.ORDER_GIFT: free_gift,
}


# --- gates: segment, schedule, code/coupon, currency, limits ------------------------------------


def gate(p: PromotionRule, s: Snapshot, allowances: dict[int, Allowance]) -> NotApplied | None:
    if not p.open_to_all:
        refused = _who_and_when(p, s)
        if refused is not None:
            return refused
    allowance = allowances.get(p.id)
    if allowance is not None:
        if allowance.overall is not None and allowance.overall <= 0:
            return NotApplied(p.id, p.name, Reason.LIMIT_REACHED, "All its uses are taken.")
        if allowance.customer is not None and allowance.customer <= 0:
            return NotApplied(
                p.id, p.name, Reason.LIMIT_REACHED, "This customer has used it up to its limit."
            )
    return None


def _who_and_when(p: PromotionRule, s: Snapshot) -> NotApplied | None:
    """The gates on the snapshot: segment, schedule, currency, coupon or code."""
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
        return _code_not_entered(p.id, p.name, p.code)
    return None


# Made once per promotion: most carts enter none of a store's codes, and each refusal is the
# same (immutable) tuple every time.
@functools.lru_cache(maxsize=10_000)
def _code_not_entered(promotion_id: int, name: str, code: str) -> NotApplied:
    return NotApplied(
        promotion_id, name, Reason.CODE_NOT_ENTERED, f"Code {code} has not been entered."
    )


# --- stages ------------------------------------------------------------------------------------

# Per stage, in the order they apply (priority, then id): (promotion, its outcome on the
# entitled cart if it is still a candidate, None if it is there only to be explained).
Staged = dict[Stage, list[tuple[PromotionRule, Outcome | None]]]


def promotion_candidates(s: Snapshot, rules: Rules, cart: Cart, found: Findings) -> Staged:
    """Which promotions are candidates, and exclusivity. Only promotions whose items are in
    the cart, or store-wide ones, are considered (and explained). A promotion whose condition
    fails on the entitled cart cannot pass later (discounts only lower amounts); it is
    explained at its own stage, on the running amounts, so "add N more" is right."""
    allowances = {a.promotion_id: a for a in s.allowances}
    checked: list[tuple[PromotionRule, Outcome]] = []  # in the order they apply
    for p in cart.promotions:
        refused = gate(p, s, allowances)
        if refused is not None:
            found.not_applied.append(refused)
            continue
        outcome = check(p, cart)
        if outcome.ok or outcome.reason != Reason.NO_QUALIFYING_ITEMS:
            checked.append((p, outcome))
        else:
            found.not_applied.append(NotApplied(p.id, p.name, outcome.reason, outcome.message))
    kept = {p.id for p in _exclusivity([p for p, outcome in checked if outcome.ok], found)}
    staged: Staged = {stage: [] for stage in Stage}
    for p, outcome in checked:
        if not outcome.ok:
            staged[p.stage].append((p, None))
        elif p.id in kept:
            staged[p.stage].append((p, outcome))
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


def _passes(p: PromotionRule, first: Outcome | None, cart: Cart, found: Findings) -> Outcome | None:
    """The promotion's outcome on the running amounts if it applies; None (explained) if not.
    `first`: its outcome on the entitled cart if it is a candidate."""
    # Targets and quantities do not change while pricing, only amounts fall: a candidate
    # whose minimum amount (if any) still holds passes as it did, with the same outcome.
    if first is not None and (not p.min_amount or cart.amount(cart.targets(p)) >= p.min_amount):
        return first
    outcome = check(p, cart)
    message = outcome.message
    if first is not None:
        message += " (after earlier discounts)"
    found.not_applied.append(NotApplied(p.id, p.name, outcome.reason, message))
    if outcome.near_miss:
        found.near_misses.append(NearMiss(p.id, p.name, outcome.near_miss))
    return None


def apply_promotions(staged: Staged, stages: Iterable[Stage], cart: Cart, found: Findings):
    """Apply the staged promotions of these stages, in order, each checked on the running
    amounts."""
    for p, first in chain.from_iterable(staged[stage] for stage in stages):
        outcome = _passes(p, first, cart, found)
        if outcome is None:
            continue
        gifts_before = len(found.gifts)
        amount = BENEFITS[p.reward](p, cart, outcome, found.gifts)
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
    return [p for p, first in staged[Stage.SHIPPING] if _passes(p, first, cart, found) is not None]

"""The pricing engine: a pure function from an order snapshot and the active rules to a price.

`price(snapshot, rules)` touches no database and no clock: everything it needs (the time, the
customer's segments, how many uses of a promotion are left) is in its arguments, so the same
input always gives the same result. `pricing/loader.py` builds the snapshot from an order and
caches the rules.

Pipeline (DESIGN.md, "The pricing engine"):
  1. entitled unit price: price list by contract / segment / guest / base, currency, quantity
     tier, category percentage adjustments over a base list;
  2. automatic product promotions;  3. automatic order promotions;
  4. promotions that need an entered code or a selected coupon;
  5. CSR adjustments (approved ones only);
  6. shipping charges, shipping promotions, shipping override;
  7. tax on goods after discounts and on shipping;  8. totals.

Promotions are condition/benefit strategy objects (as in django-oscar's offer engine) working
on an in-memory cart of `_Line` objects; results are plain frozen dataclasses.

Exclusivity: every promotion whose gates pass (segment, schedule, code/coupon, limits) and
whose condition holds on the entitled cart is a candidate. Candidates are ranked by priority
(lower number first, then id). If the best candidate is exclusive, it applies alone; otherwise
every combinable candidate applies, stage by stage, and the exclusive ones are skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from core.money import ZERO, distribute, minor_units

HUNDRED = Decimal(100)
_EXPONENTS: dict[str, Decimal] = {}


def quantize(amount, currency: str = "CAD") -> Decimal:
    """core.money.quantize (ROUND_HALF_UP to the currency's minor unit), with the exponent
    cached: the engine quantizes thousands of times per cart."""
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        exponent = _EXPONENTS[currency] = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def spread_shares(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """core.money.distribute (largest remainder, ties to the earlier weight), computed in
    integer minor units when every weight is a whole number of them; identical results, a
    tenth of the time. Anything else goes to core.money.distribute itself."""
    minor = minor_units(currency)
    scale = 10**minor
    ints = []
    for w in weights:
        units = w * scale
        whole = int(units)
        if whole != units or whole < 0:
            return distribute(total, weights, currency)
        ints.append(whole)
    if total < 0:
        return distribute(total, weights, currency)
    weight_sum = sum(ints)
    if weight_sum == 0:
        return distribute(total, weights, currency)
    want = int(quantize(total, currency) * scale)
    floors, remainders = [], []
    for w in ints:
        q, r = divmod(want * w, weight_sum)
        floors.append(q)
        remainders.append(r)
    left = want - sum(floors)
    if left:
        # largest remainder first; a stable sort keeps ties in order (earlier weight first)
        for i in sorted(range(len(ints)), key=remainders.__getitem__, reverse=True)[:left]:
            floors[i] += 1
    return [Decimal(n).scaleb(-minor) for n in floors]


SHIPPING_TAX_CODE = "shipping"


# --------------------------------------------------------------------------------------------
# Rule types (what store admins build; the loader turns model rows into these)
# --------------------------------------------------------------------------------------------


class PriceListKind(StrEnum):
    CONTRACT = "contract"  # an organization's negotiated prices: wins over everything
    SEGMENT = "segment"  # a member group's prices ("Gold")
    GUEST = "guest"  # shoppers without an account
    BASE = "base"  # everybody; the fallback


# Which list wins: the first in this order that has a price for the SKU, then by priority.
KIND_RANK = {
    PriceListKind.CONTRACT: 0,
    PriceListKind.SEGMENT: 1,
    PriceListKind.GUEST: 2,
    PriceListKind.BASE: 3,
}


class Reward(StrEnum):
    PRODUCT_PERCENT = "product_percent"
    PRODUCT_FIXED_ALL = "product_fixed_all"
    PRODUCT_FIXED_EACH = "product_fixed_each"
    BUY_X_GET_Y = "buy_x_get_y"
    PRODUCT_GIFT = "product_gift"
    ORDER_PERCENT = "order_percent"
    ORDER_FIXED = "order_fixed"
    ORDER_GIFT = "order_gift"
    SHIPPING_PERCENT = "shipping_percent"
    SHIPPING_FIXED = "shipping_fixed"
    SHIPPING_FREE = "shipping_free"


PRODUCT_REWARDS = {
    Reward.PRODUCT_PERCENT,
    Reward.PRODUCT_FIXED_ALL,
    Reward.PRODUCT_FIXED_EACH,
    Reward.BUY_X_GET_Y,
    Reward.PRODUCT_GIFT,
}
ORDER_REWARDS = {Reward.ORDER_PERCENT, Reward.ORDER_FIXED, Reward.ORDER_GIFT}
SHIPPING_REWARDS = {Reward.SHIPPING_PERCENT, Reward.SHIPPING_FIXED, Reward.SHIPPING_FREE}


class Reason(StrEnum):
    NOT_IN_SEGMENT = "not_in_segment"
    OUTSIDE_SCHEDULE = "outside_schedule"
    CODE_NOT_ENTERED = "code_not_entered"
    COUPON_NOT_SELECTED = "coupon_not_selected"
    LIMIT_REACHED = "limit_reached"
    EXCLUDED_BY_EXCLUSIVE = "excluded_by_exclusive"
    MINIMUM_NOT_MET = "minimum_not_met"
    NO_QUALIFYING_ITEMS = "no_qualifying_items"
    WRONG_CURRENCY = "wrong_currency"
    NOTHING_TO_DISCOUNT = "nothing_to_discount"


class PriceTier(NamedTuple):
    min_quantity: int
    price: Decimal


@dataclass(frozen=True)
class CategoryAdjustment:
    category_id: int
    percent: Decimal  # -10 = 10 % off the base list, 5 = 5 % over it


@dataclass(frozen=True)
class PriceListRule:
    id: int
    name: str
    currency: str
    kind: PriceListKind = PriceListKind.BASE
    segment_id: int | None = None
    organization_id: int | None = None
    priority: int = 100
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    # sku id -> tiers, any order (the engine takes the highest min_quantity <= quantity)
    prices: Mapping[int, tuple[PriceTier, ...]] = field(default_factory=dict)
    base_list_id: int | None = None
    category_adjustments: tuple[CategoryAdjustment, ...] = ()

    def is_live(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    @cached_property
    def adjustment_by_category(self) -> dict[int, Decimal]:
        return {a.category_id: a.percent for a in self.category_adjustments}


@dataclass(frozen=True)
class Schedule:
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    days_of_week: frozenset[int] = frozenset()  # 0 = Monday; empty = every day
    time_from: time | None = None
    time_to: time | None = None
    time_zone: str = "America/Toronto"

    def contains(self, now: datetime) -> bool:
        if self.starts_at is not None and now < self.starts_at:
            return False
        if self.ends_at is not None and now >= self.ends_at:
            return False
        if not self.days_of_week and self.time_from is None and self.time_to is None:
            return True
        local = now.astimezone(ZoneInfo(self.time_zone))
        if self.days_of_week and local.weekday() not in self.days_of_week:
            return False
        clock = local.time().replace(tzinfo=None)
        if self.time_from is not None and self.time_to is not None:
            if self.time_from <= self.time_to:
                return self.time_from <= clock < self.time_to
            return clock >= self.time_from or clock < self.time_to  # over midnight
        if self.time_from is not None:
            return clock >= self.time_from
        if self.time_to is not None:
            return clock < self.time_to
        return True


@dataclass(frozen=True)
class PromotionRule:
    id: int
    name: str
    reward: Reward
    priority: int = 100
    exclusive: bool = False
    # Gates
    segment_ids: frozenset[int] = frozenset()  # empty: everybody, guests included
    code: str = ""  # upper case
    code_required: bool = True
    coupon: bool = False  # delivered through the coupon wallet
    schedule: Schedule = Schedule()
    currency: str = ""  # fixed amounts are in this currency; "" = any (percentages)
    # Condition
    sku_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    min_quantity: int = 0
    min_amount: Decimal = ZERO
    shipping_method_ids: frozenset[int] = frozenset()  # shipping rewards only
    # Benefit
    percent: Decimal = ZERO
    amount: Decimal = ZERO
    buy_quantity: int = 0  # X of buy X get Y
    get_quantity: int = 0  # Y
    get_sku_ids: frozenset[int] = frozenset()  # empty: the qualifying items
    get_category_ids: frozenset[int] = frozenset()
    gift_sku_id: int | None = None
    gift_sku_code: str = ""
    gift_quantity: int = 1
    # Limits; remaining uses per order/customer/overall come in the snapshot
    max_per_order: int | None = None
    limit_per_customer: int | None = None  # informational: the loader turns these into
    limit_overall: int | None = None  # Allowances in the snapshot
    description: str = ""

    @property
    def gated(self) -> bool:
        return self.coupon or bool(self.code and self.code_required)

    @property
    def stage(self) -> float:
        if self.reward in SHIPPING_REWARDS:
            return 4
        if self.gated:
            return 3 if self.reward in PRODUCT_REWARDS else 3.5
        return 1 if self.reward in PRODUCT_REWARDS else 2

    def targets(self, line: CartLine) -> bool:
        if not self.sku_ids and not self.category_ids:
            return True
        return line.sku_id in self.sku_ids or not self.category_ids.isdisjoint(line.category_ids)

    def get_targets(self, line: CartLine) -> bool:
        if not self.get_sku_ids and not self.get_category_ids:
            return self.targets(line)
        return line.sku_id in self.get_sku_ids or not self.get_category_ids.isdisjoint(
            line.category_ids
        )


class ShippingBasis(StrEnum):
    FLAT = "flat"
    WEIGHT = "weight"  # bands by total weight in kg
    VALUE = "value"  # bands by goods value after discounts


@dataclass(frozen=True)
class ShippingRateRule:
    method_id: int
    method_name: str
    currency: str
    basis: ShippingBasis = ShippingBasis.FLAT
    amount: Decimal = ZERO  # flat
    bands: tuple[tuple[Decimal, Decimal], ...] = ()  # (from, charge), any order
    country: str = ""  # "" = anywhere

    def charge(self, weight: Decimal, value: Decimal) -> Decimal:
        if self.basis == ShippingBasis.FLAT or not self.bands:
            return self.amount
        measure = weight if self.basis == ShippingBasis.WEIGHT else value
        bands = sorted(self.bands)
        charge = bands[0][1]
        for start, band_charge in bands:
            if measure >= start:
                charge = band_charge
        return charge


@dataclass(frozen=True)
class TaxRateRule:
    tax_code: str
    country: str
    region: str = ""
    postal_prefix: str = ""
    name: str = "Tax"
    rate: Decimal = ZERO  # percent

    def matches(self, country: str, region: str, postal_code: str) -> bool:
        if self.country != country:
            return False
        if self.region and self.region != region:
            return False
        return not self.postal_prefix or postal_code.replace(" ", "").upper().startswith(
            self.postal_prefix
        )

    @property
    def specificity(self) -> tuple[int, int]:
        return (1 if self.region else 0, len(self.postal_prefix))


@dataclass(frozen=True)
class Rules:
    price_lists: tuple[PriceListRule, ...] = ()
    promotions: tuple[PromotionRule, ...] = ()
    shipping_rates: tuple[ShippingRateRule, ...] = ()
    tax_rates: tuple[TaxRateRule, ...] = ()

    @cached_property
    def promotions_in_order(self) -> tuple[PromotionRule, ...]:
        return tuple(sorted(self.promotions, key=lambda p: (p.priority, p.id)))

    @cached_property
    def promotion_index(self) -> tuple[dict[int, list[int]], dict[int, list[int]], list[int]]:
        """Positions in `promotions_in_order` by targeted SKU, by targeted category, and the
        store-wide ones: a cart only looks at the promotions that can concern it."""
        by_sku: dict[int, list[int]] = {}
        by_category: dict[int, list[int]] = {}
        storewide: list[int] = []
        for i, p in enumerate(self.promotions_in_order):
            if not p.sku_ids and not p.category_ids:
                storewide.append(i)
            for sku in p.sku_ids:
                by_sku.setdefault(sku, []).append(i)
            for category in p.category_ids:
                by_category.setdefault(category, []).append(i)
        return by_sku, by_category, storewide

    def promotions_for(self, lines: Iterable[CartLine]) -> list[PromotionRule]:
        """The promotions whose items are in the cart, or that are store-wide, in order."""
        by_sku, by_category, storewide = self.promotion_index
        found = set(storewide)
        for line in lines:
            found.update(by_sku.get(line.sku_id, ()))
            for category in line.category_ids:
                found.update(by_category.get(category, ()))
        ordered = self.promotions_in_order
        return [ordered[i] for i in sorted(found)]

    @cached_property
    def price_lists_by_id(self) -> dict[int, PriceListRule]:
        return {p.id: p for p in self.price_lists}

    @cached_property
    def rates_by_method(self) -> dict[int, list[ShippingRateRule]]:
        found: dict[int, list[ShippingRateRule]] = {}
        for rate in self.shipping_rates:
            found.setdefault(rate.method_id, []).append(rate)
        return found

    @cached_property
    def taxes_by_code(self) -> dict[tuple[str, str], list[TaxRateRule]]:
        found: dict[tuple[str, str], list[TaxRateRule]] = {}
        for rate in self.tax_rates:
            found.setdefault((rate.tax_code, rate.country), []).append(rate)
        return found


# --------------------------------------------------------------------------------------------
# Snapshot (the order, frozen)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    line_id: int | str
    sku_id: int
    sku_code: str
    quantity: int
    category_ids: tuple[int, ...] = ()  # the SKU's category first, then its ancestors
    weight_kg: Decimal = ZERO
    tax_code: str = "standard"
    ship_to: str = ""


@dataclass(frozen=True)
class ShipTo:
    key: str
    method_id: int | None = None
    country: str = ""
    region: str = ""
    postal_code: str = ""


class AdjustmentKind(StrEnum):
    ORDER_AMOUNT = "order_amount"
    ORDER_PERCENT = "order_percent"
    LINE_AMOUNT = "line_amount"
    LINE_PERCENT = "line_percent"
    SHIPPING_OVERRIDE = "shipping_override"


@dataclass(frozen=True)
class Adjustment:
    id: int | str
    kind: AdjustmentKind
    value: Decimal
    reason: str = ""
    line_id: int | str | None = None
    ship_to: str | None = None  # shipping override: one group, or None for the whole order
    approved: bool = True


@dataclass(frozen=True)
class Allowance:
    """Uses left of a limited promotion, not counting this order's own."""

    promotion_id: int
    overall: int | None = None
    customer: int | None = None


@dataclass(frozen=True)
class Snapshot:
    currency: str
    now: datetime
    lines: tuple[CartLine, ...] = ()
    customer_id: int | None = None  # None: a guest
    segment_ids: frozenset[int] = frozenset()
    organization_id: int | None = None
    codes: frozenset[str] = frozenset()  # entered promotion codes, upper case
    coupon_promotion_ids: frozenset[int] = frozenset()  # promotions of selected coupons
    adjustments: tuple[Adjustment, ...] = ()
    ship_tos: tuple[ShipTo, ...] = ()
    allowances: tuple[Allowance, ...] = ()

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


class Discount(NamedTuple):
    """One discount on a line or a shipping charge (a named tuple: carts make thousands)."""

    source: str  # "promotion" | "adjustment"
    source_id: int | str
    name: str
    amount: Decimal


@dataclass(frozen=True)
class PricedLine:
    line_id: int | str
    sku_id: int
    sku_code: str
    quantity: int
    unit_price: Decimal
    price_list_id: int | None
    subtotal: Decimal
    discounts: tuple[Discount, ...]
    discount_total: Decimal
    line_total: Decimal
    tax: Decimal
    ship_to: str = ""


@dataclass(frozen=True)
class Gift:
    promotion_id: int
    promotion_name: str
    sku_id: int
    sku_code: str
    quantity: int
    ship_to: str = ""


@dataclass(frozen=True)
class ShippingCharge:
    ship_to: str
    method_id: int | None
    method_name: str
    charge: Decimal
    discounts: tuple[Discount, ...]
    total: Decimal
    tax: Decimal


@dataclass(frozen=True)
class TaxAmount:
    name: str
    rate: Decimal
    amount: Decimal


class Applied(NamedTuple):
    source: str  # "promotion" | "adjustment"
    source_id: int | str
    name: str
    amount: Decimal
    detail: str = ""


class NotApplied(NamedTuple):
    promotion_id: int | str
    name: str
    reason: Reason | str
    message: str


class NearMiss(NamedTuple):
    promotion_id: int
    name: str
    message: str


@dataclass(frozen=True)
class Explanation:
    applied: tuple[Applied, ...]
    not_applied: tuple[NotApplied, ...]
    near_misses: tuple[NearMiss, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PricedOrder:
    currency: str
    lines: tuple[PricedLine, ...]
    gifts: tuple[Gift, ...]
    shipping: tuple[ShippingCharge, ...]
    taxes: tuple[TaxAmount, ...]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    explanation: Explanation
    applied_promotion_ids: tuple[int, ...]

    @property
    def shipping_discount_total(self) -> Decimal:
        return sum((d.amount for s in self.shipping for d in s.discounts), ZERO)

    def line(self, line_id) -> PricedLine:
        return next(p for p in self.lines if p.line_id == line_id)

    def as_dict(self) -> dict:
        return _jsonable(self)


# A priced 50-line cart holds thousands of discounts: serializing them generically (fields
# looked up per object, isinstance chains) cost more than pricing the cart. Field names are
# looked up once per class and the common scalar types are tested first.
_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The fields of a dataclass or named tuple type, None for anything else."""
    try:
        return _FIELD_NAMES[kind]
    except KeyError:
        pass
    names = None
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
    elif issubclass(kind, tuple) and hasattr(kind, "_asdict"):
        names = kind._fields
    _FIELD_NAMES[kind] = names
    return names


def _jsonable(value):
    kind = type(value)
    if kind is Decimal:
        return str(value)
    if kind in _SCALARS:
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: _jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------
# The in-memory cart the strategies work on
# --------------------------------------------------------------------------------------------


class _Line:
    __slots__ = ("cart", "discounts", "gross", "net", "price_list_id", "src", "tax", "unit_price")

    def __init__(self, src: CartLine, unit_price: Decimal, price_list_id: int | None, cur: str):
        self.src = src
        self.unit_price = unit_price
        self.price_list_id = price_list_id
        self.gross = quantize(unit_price * src.quantity, cur)
        self.net = self.gross
        self.discounts: list[Discount] = []
        self.tax = ZERO
        self.cart: _Cart | None = None

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


class _Cart:
    def __init__(self, snapshot: Snapshot, lines: list[_Line]):
        self.snapshot = snapshot
        self.currency = snapshot.currency
        self.lines = lines
        self._targets: dict[tuple[int, bool], list[_Line]] = {}
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

    def targets(self, p: PromotionRule, get: bool = False) -> list[_Line]:
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

    def quantity(self, lines: list[_Line]) -> int:
        """Quantities never change while pricing; target lists are cached, so cache by id."""
        found = self._qty.get(id(lines))
        if found is None:
            found = self._qty[id(lines)] = sum(line.src.quantity for line in lines)
        return found

    def amount(self, lines: list[_Line]) -> Decimal:
        if lines is self.lines:
            return self.total_net
        return sum((line.net for line in lines), ZERO)

    def spread(self, lines: list[_Line], amount: Decimal, source: str, sid, name: str) -> Decimal:
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


# --------------------------------------------------------------------------------------------
# Conditions and benefits (strategy objects)
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one condition check found: satisfied, or why not, and how close."""

    ok: bool
    reason: Reason | None = None
    message: str = ""
    near_miss: str = ""
    times: int = 1  # how many times the condition is met (gifts, bundles)


class Condition:
    """The cart condition of a promotion: targeted items, minimum quantity or amount."""

    def __init__(self, promotion: PromotionRule):
        self.p = promotion

    def check(self, cart: _Cart) -> Outcome:
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


class Benefit:
    """Applies a promotion's reward to the cart; returns the amount given (0 if nothing)."""

    def __init__(self, promotion: PromotionRule):
        self.p = promotion

    def apply(self, cart: _Cart, outcome: Outcome, gifts: list[Gift]) -> Decimal:
        raise NotImplementedError

    def _take(self, line: _Line, amount: Decimal) -> Decimal:
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


# --------------------------------------------------------------------------------------------
# Gates: segment, schedule, code/coupon, currency, limits
# --------------------------------------------------------------------------------------------


def _gate(p: PromotionRule, s: Snapshot, allowances: dict[int, Allowance]) -> NotApplied | None:
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


# --------------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------------


def entitled_price(
    rules: Rules, snapshot: Snapshot, line: CartLine, lists: list[PriceListRule] | None = None
) -> tuple[Decimal, int | None] | None:
    """The customer's unit price for this line, and the list it came from (None: no price)."""
    for price_list in lists if lists is not None else _lists_for(rules, snapshot):
        found = _list_price(rules, price_list, line, depth=0)
        if found is not None:
            return quantize(found, snapshot.currency), price_list.id
    return None


def _lists_for(rules: Rules, s: Snapshot) -> list[PriceListRule]:
    lists = []
    for pl in rules.price_lists:
        if pl.currency != s.currency or not pl.is_live(s.now):
            continue
        if pl.kind == PriceListKind.CONTRACT:
            entitled = s.organization_id is not None and pl.organization_id == s.organization_id
        elif pl.kind == PriceListKind.SEGMENT:
            entitled = pl.segment_id in s.segment_ids
        elif pl.kind == PriceListKind.GUEST:
            entitled = s.is_guest
        else:
            entitled = True
        if entitled:
            lists.append(pl)
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


def price(snapshot: Snapshot, rules: Rules) -> PricedOrder:
    """Price the snapshot. Pure: no database, no clock, no randomness."""
    s = snapshot
    cur = s.currency
    notes: list[str] = []
    applied: list[Applied] = []
    not_applied: list[NotApplied] = []
    near: list[NearMiss] = []
    gifts: list[Gift] = []

    # 1. entitled unit prices
    lines: list[_Line] = []
    entitled_lists = _lists_for(rules, s)
    for src in s.lines:
        found = entitled_price(rules, s, src, entitled_lists)
        if found is None:
            notes.append(f"{src.sku_code} has no {cur} price; priced at 0.00.")
            found = (ZERO, None)
        lines.append(_Line(src, found[0], found[1], cur))
    cart = _Cart(s, lines)

    # 2. which promotions are candidates, and exclusivity. Only promotions whose items are in
    # the cart, or store-wide ones, are considered (and explained). A promotion whose
    # condition fails on the entitled cart cannot pass later (discounts only lower amounts);
    # it is explained at its own stage, on the running amounts, so "add N more" is right.
    allowances = {a.promotion_id: a for a in s.allowances}
    candidates: list[PromotionRule] = []
    explain_later: list[PromotionRule] = []
    for p in rules.promotions_for(s.lines):
        refused = _gate(p, s, allowances)
        if refused is not None:
            not_applied.append(refused)
            continue
        outcome = _check(p, cart)
        if outcome.ok:
            candidates.append(p)
        elif outcome.reason == Reason.NO_QUALIFYING_ITEMS:
            not_applied.append(NotApplied(p.id, p.name, outcome.reason, outcome.message))
        else:
            explain_later.append(p)
    if candidates and candidates[0].exclusive:
        winner = candidates[0]
        for p in candidates[1:]:
            not_applied.append(
                NotApplied(
                    p.id,
                    p.name,
                    Reason.EXCLUDED_BY_EXCLUSIVE,
                    f"Excluded by the exclusive promotion “{winner.name}”.",
                )
            )
        candidates = candidates[:1]
    else:
        kept = []
        for p in candidates:
            if p.exclusive:
                not_applied.append(
                    NotApplied(
                        p.id,
                        p.name,
                        Reason.EXCLUDED_BY_EXCLUSIVE,
                        "Exclusive, and a higher-priority promotion applies.",
                    )
                )
            else:
                kept.append(p)
        candidates = kept
    staged = [(p, True) for p in candidates] + [(p, False) for p in explain_later]
    staged.sort(key=lambda pc: (pc[0].stage, pc[0].priority, pc[0].id))

    # 3-5. product, order, code/coupon promotions (in stage order), each checked on the
    # running amounts; shipping promotions are checked on the goods after all promotions
    used: list[int] = []
    shipping_promos: list[PromotionRule] = []
    for p, candidate in staged:
        outcome = _check(p, cart)
        if not (candidate and outcome.ok):
            message = outcome.message
            if candidate:
                message += " (after earlier discounts)"
            not_applied.append(NotApplied(p.id, p.name, outcome.reason, message))
            if outcome.near_miss:
                near.append(NearMiss(p.id, p.name, outcome.near_miss))
            continue
        if p.reward in SHIPPING_REWARDS:
            shipping_promos.append(p)
            continue
        before = len(gifts)
        amount = BENEFITS[p.reward](p).apply(cart, outcome, gifts)
        if amount > 0 or len(gifts) > before:
            used.append(p.id)
            detail = ""
            if len(gifts) > before:
                g = gifts[-1]
                detail = f"Free gift: {g.quantity} × {g.sku_code}"
            applied.append(Applied("promotion", p.id, p.name, amount, detail))
        else:
            not_applied.append(
                NotApplied(p.id, p.name, Reason.NOTHING_TO_DISCOUNT, "Nothing left to discount.")
            )

    # 6. CSR adjustments on goods
    override: list[Adjustment] = []
    for adj in s.adjustments:
        name = f"Adjustment: {adj.reason}" if adj.reason else "Adjustment"
        if not adj.approved:
            notes.append(f"{name} ({adj.value}) awaits a supervisor's approval: not applied.")
            continue
        if adj.kind == AdjustmentKind.SHIPPING_OVERRIDE:
            override.append(adj)
            continue
        if adj.kind in (AdjustmentKind.ORDER_AMOUNT, AdjustmentKind.ORDER_PERCENT):
            value = adj.value
            if adj.kind == AdjustmentKind.ORDER_PERCENT:
                value = cart.amount(cart.lines) * adj.value / HUNDRED
            amount = cart.spread(cart.lines, value, "adjustment", adj.id, name)
        else:
            target = next((x for x in cart.lines if x.src.line_id == adj.line_id), None)
            if target is None:
                notes.append(f"{name}: its line is no longer on the order.")
                continue
            value = adj.value
            if adj.kind == AdjustmentKind.LINE_PERCENT:
                value = target.net * adj.value / HUNDRED
            amount = target.take("adjustment", adj.id, name, quantize(value, cur))
        applied.append(Applied("adjustment", adj.id, name, amount))

    # 7. shipping
    shipping = _shipping(s, rules, cart, shipping_promos, override)
    for charge in shipping:
        for d in charge.discounts:
            if d.source == "promotion" and d.source_id not in used:
                used.append(d.source_id)
    by_source: dict[tuple[str, object], list] = {}
    for charge in shipping:
        for d in charge.discounts:
            by_source.setdefault((d.source, d.source_id), []).append(d)
    for (source, sid), ds in by_source.items():
        applied.append(
            Applied(source, sid, ds[0].name, sum((d.amount for d in ds), ZERO), "shipping")
        )
    for p in shipping_promos:
        if ("promotion", p.id) not in by_source:
            not_applied.append(
                NotApplied(p.id, p.name, Reason.NOTHING_TO_DISCOUNT, "No shipping charge to cut.")
            )

    # 8. tax
    taxes: dict[tuple[str, Decimal], Decimal] = {}
    ship_to_by_key = {st.key: st for st in s.ship_tos}
    for line in cart.lines:
        dest = ship_to_by_key.get(line.src.ship_to)
        line.tax = _tax(rules, line.src.tax_code, dest, line.net, cur, taxes)
    shipping = tuple(
        dataclasses.replace(
            c,
            tax=_tax(rules, SHIPPING_TAX_CODE, ship_to_by_key.get(c.ship_to), c.total, cur, taxes),
        )
        for c in shipping
    )

    # 9. totals
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
    shipping_total = sum((c.total for c in shipping), ZERO)
    tax_total = sum(taxes.values(), ZERO)
    total = subtotal - discount_total + shipping_total + tax_total
    return PricedOrder(
        currency=cur,
        lines=priced_lines,
        gifts=tuple(gifts),
        shipping=shipping,
        taxes=tuple(TaxAmount(n, r, a) for (n, r), a in sorted(taxes.items())),
        subtotal=quantize(subtotal, cur),
        discount_total=quantize(discount_total, cur),
        shipping_total=quantize(shipping_total, cur),
        tax_total=quantize(tax_total, cur),
        total=quantize(total, cur),
        explanation=Explanation(tuple(applied), tuple(not_applied), tuple(near), tuple(notes)),
        applied_promotion_ids=tuple(used),
    )


def _check(p: PromotionRule, cart: _Cart) -> Outcome:
    if p.reward in SHIPPING_REWARDS:
        return _shipping_condition(p, cart)
    return Condition(p).check(cart)


def _shipping_condition(p: PromotionRule, cart: _Cart) -> Outcome:
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


def _shipping(
    s: Snapshot,
    rules: Rules,
    cart: _Cart,
    promos: list[PromotionRule],
    overrides: list[Adjustment],
) -> list[ShippingCharge]:
    cur = s.currency
    groups: dict[str, list[_Line]] = {}
    for line in cart.lines:
        groups.setdefault(line.src.ship_to, []).append(line)
    ship_tos = {st.key: st for st in s.ship_tos}
    charges: list[dict] = []
    for key, group_lines in groups.items():
        st = ship_tos.get(key)
        method_id = st.method_id if st else None
        rate = _rate_for(rules, method_id, cur, st.country if st else "")
        if rate is None:
            charges.append(
                {"key": key, "method_id": method_id, "name": "", "charge": ZERO, "discounts": []}
            )
            continue
        weight = sum((x.src.weight_kg * x.src.quantity for x in group_lines), ZERO)
        value = cart.amount(group_lines)
        charge = quantize(rate.charge(weight, value), cur)
        charges.append(
            {
                "key": key,
                "method_id": method_id,
                "name": rate.method_name,
                "charge": charge,
                "discounts": [],
            }
        )
    # shipping promotions: each cuts the remaining charge of the groups it covers
    for p in promos:
        for c in charges:
            if p.shipping_method_ids and c["method_id"] not in p.shipping_method_ids:
                continue
            remaining = c["charge"] - sum((d.amount for d in c["discounts"]), ZERO)
            if remaining <= 0:
                continue
            if p.reward == Reward.SHIPPING_FREE:
                cut = remaining
            elif p.reward == Reward.SHIPPING_PERCENT:
                cut = quantize(remaining * p.percent / HUNDRED, cur)
            else:
                cut = min(quantize(p.amount, cur), remaining)
            if cut > 0:
                c["discounts"].append(Discount("promotion", p.id, p.name, cut))
    # CSR shipping override: the amount becomes the shipping charge
    for adj in overrides:
        name = f"Shipping override: {adj.reason}" if adj.reason else "Shipping override"
        targets = [c for c in charges if adj.ship_to is None or c["key"] == adj.ship_to]
        if not targets:
            continue
        currents = [c["charge"] - sum((d.amount for d in c["discounts"]), ZERO) for c in targets]
        wanted = quantize(adj.value, cur)
        if sum(currents, ZERO) > 0:
            news = spread_shares(wanted, currents, cur)
        else:
            news = spread_shares(wanted, [Decimal(1)] * len(targets), cur)
        for c, current, new in zip(targets, currents, news, strict=True):
            # a negative "discount" is a surcharge: the override raised the charge
            c["discounts"].append(Discount("adjustment", adj.id, name, current - new))
    return [
        ShippingCharge(
            ship_to=c["key"],
            method_id=c["method_id"],
            method_name=c["name"],
            charge=c["charge"],
            discounts=tuple(c["discounts"]),
            total=c["charge"] - sum((d.amount for d in c["discounts"]), ZERO),
            tax=ZERO,
        )
        for c in charges
    ]


def _rate_for(rules: Rules, method_id, currency: str, country: str) -> ShippingRateRule | None:
    if method_id is None:
        return None
    best = None
    for rate in rules.rates_by_method.get(method_id, ()):
        if rate.currency != currency or (rate.country and rate.country != country):
            continue
        if best is None or (rate.country and not best.country):
            best = rate
    return best


def _tax(
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

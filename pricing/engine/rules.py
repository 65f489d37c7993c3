"""The rule types store admins build; the loader turns model rows into these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, time
from decimal import Decimal
from enum import IntEnum, StrEnum
from functools import cached_property
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from core.money import ZERO
from pricing.engine.snapshot import CartLine

T = TypeVar("T")


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


class Stage(IntEnum):
    """Where a promotion applies in the pipeline, in order (DESIGN.md, "The pricing engine")."""

    PRODUCT = 1  # automatic product promotions
    ORDER = 2  # automatic order promotions
    CODE_PRODUCT = 3  # promotions that need a code or a coupon: product ones first,
    CODE_ORDER = 4  # then order ones
    SHIPPING = 5  # shipping promotions, checked on the goods after every other promotion


CODE_STAGES = (Stage.CODE_PRODUCT, Stage.CODE_ORDER)  # in this order


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

    @classmethod
    def from_fields(cls, fields: dict) -> PromotionRule:
        """The rule with these values, one for every field, made as unpickling makes it: the
        loader makes thousands on every rule change, and the frozen dataclass's __init__ (an
        object.__setattr__ per field) was a third of that."""
        if fields.keys() != _PROMOTION_FIELDS:
            raise TypeError(f"every field, no other: {sorted(fields.keys() ^ _PROMOTION_FIELDS)}")
        rule = object.__new__(cls)
        rule.__dict__.update(fields)
        return rule

    @property
    def gated(self) -> bool:
        return self.coupon or bool(self.code and self.code_required)

    # What follows depends on the rule alone: computed once per rule (the rules are cached and
    # shared by every reprice), not once per check.
    @cached_property
    def stage(self) -> Stage:
        if self.reward in SHIPPING_REWARDS:
            return Stage.SHIPPING
        if self.gated:
            return Stage.CODE_PRODUCT if self.reward in PRODUCT_REWARDS else Stage.CODE_ORDER
        return Stage.PRODUCT if self.reward in PRODUCT_REWARDS else Stage.ORDER

    @cached_property
    def open_to_all(self) -> bool:
        """No segment, schedule, currency, coupon or code to check: only its limits gate it."""
        s = self.schedule
        return not (
            self.segment_ids
            or self.currency
            or self.coupon
            or self.code
            or s.starts_at is not None
            or s.ends_at is not None
            or s.days_of_week
            or s.time_from is not None
            or s.time_to is not None
        )

    @cached_property
    def need_quantity(self) -> int:
        """The qualifying items its condition needs: at least one, its minimum, and for buy X
        get Y from the same items X + Y of them."""
        same_set_get = 0
        if self.reward == Reward.BUY_X_GET_Y and not (self.get_sku_ids or self.get_category_ids):
            same_set_get = self.get_quantity
        return max(self.min_quantity, self.buy_quantity + same_set_get, 1)

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


_PROMOTION_FIELDS = frozenset(f.name for f in fields(PromotionRule))


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
    tax_per_invoice: bool = False  # round each tax once for the order, not per line

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
        return self.in_order(self.targeted_lines((x.sku_id, x.category_ids, x) for x in lines))

    def targeted_lines(self, lines: Iterable[tuple[int, tuple[int, ...], T]]) -> dict[int, list[T]]:
        """{position in `promotions_in_order`: the lines it targets, in their order} for each
        promotion that targets some of these lines, (SKU id, category ids, line), by SKU or
        category (store-wide ones target every line and are not in it). One pass over the
        lines: the cart then knows every promotion's targets without matching each one."""
        by_sku, by_category, _ = self.promotion_index
        found: dict[int, list[T]] = {}
        for sku_id, category_ids, line in lines:
            hits = set(by_sku.get(sku_id, ()))
            for category in category_ids:
                hits.update(by_category.get(category, ()))
            for position in hits:
                found.setdefault(position, []).append(line)
        return found

    def in_order(self, positions: Iterable[int]) -> list[PromotionRule]:
        """The promotions at these positions of `promotions_in_order` and the store-wide ones,
        in order."""
        ordered = self.promotions_in_order
        return [ordered[i] for i in sorted(set(self.promotion_index[2]).union(positions))]

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

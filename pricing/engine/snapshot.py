"""The snapshot: the order, frozen, as the engine sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.money import ZERO


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
    # A unit price agreed outside the price lists (an auction's winning price): it replaces the
    # entitled price; promotions and adjustments still see the line as usual.
    agreed_unit_price: Decimal | None = None


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

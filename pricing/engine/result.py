"""The priced result: plain frozen values, serializable with `PricedOrder.as_dict`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from core.money import ZERO
from pricing.engine.rules import Reason


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
    # The CSR adjustments not applied because they wait for a supervisor (ids): a submit is
    # refused (or the order held) for them without counting them again.
    awaiting_approval: tuple[int, ...] = ()

    @property
    def shipping_discount_total(self) -> Decimal:
        return sum((d.amount for s in self.shipping for d in s.discounts), ZERO)

    def line(self, line_id) -> PricedLine:
        return next(p for p in self.lines if p.line_id == line_id)

    def as_dict(self) -> dict:
        return jsonable(self)


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


def jsonable(value):
    """The value as JSON-ready data: Decimals as strings, results as dicts, sequences as lists."""
    kind = type(value)
    if kind is Decimal:
        return str(value)
    if kind in _SCALARS:
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value

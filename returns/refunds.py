"""Refund amounts from what the customer actually paid: pure Decimal functions.

An order line stores what it was sold for after every discount (`line_total`: unit price times
quantity less the line's shares of product and order discounts). Its tax is not stored per line:
the order's tax on goods (tax total less the shipping charges' tax) is spread over the lines by
their totals, largest remainder first, as pricing spreads order discounts.

A line's paid amount is split over its units the same way, and a return of `count` units takes
the next `count` unit shares after the ones already returned. So every return of a line gets at
most what was paid for its units, and returning all of them gives back exactly what was paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO, distribute, quantize, to_decimal


@dataclass(frozen=True)
class UnitsRefund:
    merchandise: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.merchandise + self.tax


def goods_tax(*, tax_total: Decimal, shipping_charges: Sequence[dict], currency: str) -> Decimal:
    """The order's tax on goods: its tax total less the tax on its shipping charges."""
    shipping_tax = sum((to_decimal(c.get("tax") or "0") for c in shipping_charges), ZERO)
    return max(quantize(tax_total - shipping_tax, currency), ZERO)


def tax_shares(*, goods_tax: Decimal, line_totals: Sequence[Decimal], currency: str) -> list:
    """Each line's share of the tax on goods, by line total; free lines (gifts) get none."""
    if not line_totals:
        return []
    if sum(line_totals, ZERO) <= 0:
        return [ZERO for _ in line_totals]
    return distribute(goods_tax, list(line_totals), currency)


def _units(amount: Decimal, quantity: int, already: int, count: int, currency: str) -> Decimal:
    shares = distribute(amount, [Decimal(1)] * quantity, currency)
    return sum(shares[already : already + count], ZERO)


def refund_for_units(
    *,
    line_total: Decimal,
    tax_share: Decimal,
    quantity: int,
    already_returned: int,
    count: int,
    currency: str,
) -> UnitsRefund:
    """What the customer paid for `count` more units of a line of `quantity` units, of which
    `already_returned` are on other returns."""
    if count < 0 or already_returned < 0 or already_returned + count > quantity:
        raise ValueError("the units to refund must lie within the line's quantity")
    return UnitsRefund(
        merchandise=_units(line_total, quantity, already_returned, count, currency),
        tax=_units(tax_share, quantity, already_returned, count, currency),
    )

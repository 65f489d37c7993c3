"""Money helpers: Decimal only, quantized once per currency with ROUND_HALF_UP."""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# ISO 4217 minor units for the currencies we sell in; anything else has 2.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}
ZERO = Decimal("0")


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Accepts Decimal, int or a numeric string; refuses float, whose value is never exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal or a string")
    return value if isinstance(value, Decimal) else Decimal(value)


def quantize(amount: Decimal | int | str, currency: str = "CAD") -> Decimal:
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return to_decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal, currency: str = "CAD") -> Decimal:
    return quantize(to_decimal(amount) * to_decimal(percent) / 100, currency)


def distribute(total: Decimal, weights: Sequence[Decimal], currency: str = "CAD") -> list[Decimal]:
    """Split `total` across `weights` in proportion, largest remainder first.

    The shares add up to `total` exactly, none is negative, and the result depends only on the
    inputs (ties go to the earlier weight). When every weight is zero the total is split evenly.
    A share never exceeds its weight when `total` does not exceed the sum of the weights, so an
    order discount spread over line amounts never pushes a line below zero.
    """
    total = quantize(total, currency)
    if total < 0:
        raise ValueError("cannot distribute a negative total")
    if any(to_decimal(w) < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError("cannot distribute a non-zero total over nothing")
        return []
    scale = 10 ** minor_units(currency)
    units = int(total * scale)
    fractions = [Fraction(to_decimal(w)) for w in weights]
    weight_sum = sum(fractions)
    if weight_sum == 0:
        fractions = [Fraction(1)] * len(weights)
        weight_sum = Fraction(len(weights))
    exact = [units * w / weight_sum for w in fractions]
    floors = [int(x) for x in exact]  # exact values are non-negative, so int() floors
    remainder = units - sum(floors)
    by_largest_fraction = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_largest_fraction[:remainder]:
        floors[i] += 1
    return [quantize(Decimal(n) / scale, currency) for n in floors]

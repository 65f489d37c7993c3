"""Money helpers the engine calls thousands of times per cart: cached exponents, integer shares."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.money import distribute, minor_units

HUNDRED = Decimal(100)
_EXPONENTS: dict[str, Decimal] = {}
_SCALES: dict[str, Decimal] = {}  # currency: 10 ** its minor units


def minor_unit(currency: str) -> Decimal:
    """The currency's minor unit (0.01 CAD), the exponent its amounts are rounded to: for a
    loop that rounds on every line, `amount.quantize(unit, ROUND_HALF_UP)` without a call."""
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        exponent = _EXPONENTS[currency] = Decimal(1).scaleb(-minor_units(currency))
    return exponent


def quantize(amount, currency: str = "CAD") -> Decimal:
    """core.money.quantize (ROUND_HALF_UP to the currency's minor unit), with the exponent
    cached: the engine quantizes thousands of times per cart."""
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        exponent = minor_unit(currency)
    # rounding passed by position: the keyword form costs twice the time of the rounding itself
    return amount.quantize(exponent, ROUND_HALF_UP)


def scales_of(currency: str) -> tuple[Decimal, Decimal]:
    """(10 ** minor units, one minor unit) of the currency, as Decimals: multiplying by an int
    converts it to a Decimal every time."""
    scale = _SCALES.get(currency)
    if scale is None:
        scale = _SCALES[currency] = Decimal(10 ** minor_units(currency))
    return scale, minor_unit(currency)


def whole_minor_units(amounts: list[Decimal], currency: str) -> list[int] | None:
    """The amounts in minor units (1234 for 12.34 CAD), or None if one is not a whole number
    of them."""
    scale = scales_of(currency)[0]
    units = [a * scale for a in amounts]
    ints = [int(u) for u in units]
    return ints if ints == units else None


def largest_remainder(want: int, weights: list[int]) -> list[int]:
    """`want` split across the weights in proportion, largest remainder first (ties to the
    earlier weight): core.money.distribute's shares, in minor units. The weights are not
    negative, and not all zero."""
    weight_sum = sum(weights)
    products = [want * w for w in weights]
    floors = [x // weight_sum for x in products]
    left = want - sum(floors)
    if left:
        remainders = [x % weight_sum for x in products]
        # largest remainder first; a stable sort keeps ties in order (earlier weight first)
        for i in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:left]:
            floors[i] += 1
    return floors


def spread_shares(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """core.money.distribute (largest remainder, ties to the earlier weight), computed in
    integer minor units when every weight is a whole number of them; identical results, a
    tenth of the time. Anything else goes to core.money.distribute itself."""
    ints = whole_minor_units(weights, currency)
    if ints is None or total < 0 or min(ints, default=0) < 0 or not any(ints):
        return distribute(total, weights, currency)
    scale, unit = scales_of(currency)
    want = int(quantize(total, currency) * scale)
    # n × 0.01: the value and exponent of Decimal(n).scaleb(-2), at a third of the time
    return [n * unit for n in largest_remainder(want, ints)]

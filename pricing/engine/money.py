"""Money helpers the engine calls thousands of times per cart: cached exponents, integer shares."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.money import distribute, minor_units

HUNDRED = Decimal(100)
_EXPONENTS: dict[str, Decimal] = {}
_SCALES: dict[str, tuple[Decimal, Decimal]] = {}  # currency: (10 ** minor units, one minor unit)


def quantize(amount, currency: str = "CAD") -> Decimal:
    """core.money.quantize (ROUND_HALF_UP to the currency's minor unit), with the exponent
    cached: the engine quantizes thousands of times per cart."""
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        exponent = _EXPONENTS[currency] = Decimal(1).scaleb(-minor_units(currency))
    # rounding passed by position: the keyword form costs twice the time of the rounding itself
    return amount.quantize(exponent, ROUND_HALF_UP)


def spread_shares(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """core.money.distribute (largest remainder, ties to the earlier weight), computed in
    integer minor units when every weight is a whole number of them; identical results, a
    tenth of the time. Anything else goes to core.money.distribute itself."""
    scales = _SCALES.get(currency)
    if scales is None:
        minor = minor_units(currency)
        scales = _SCALES[currency] = (Decimal(10**minor), Decimal(1).scaleb(-minor))
    # Decimals, not ints: multiplying by an int converts it to a Decimal every time.
    scale, unit = scales
    units = [w * scale for w in weights]
    ints = [int(u) for u in units]
    # Anything but whole, non-negative minor units (or nothing to weigh) goes to distribute.
    if ints != units or total < 0 or min(ints, default=0) < 0 or not any(ints):
        return distribute(total, weights, currency)
    weight_sum = sum(ints)
    want = int(quantize(total, currency) * scale)
    products = [want * w for w in ints]
    floors = [x // weight_sum for x in products]
    left = want - sum(floors)
    if left:
        remainders = [x % weight_sum for x in products]
        # largest remainder first; a stable sort keeps ties in order (earlier weight first)
        for i in sorted(range(len(ints)), key=remainders.__getitem__, reverse=True)[:left]:
            floors[i] += 1
    # n × 0.01: the value and exponent of Decimal(n).scaleb(-2), at a third of the time
    return [n * unit for n in floors]

"""Bid control rules an auction carries: increment bands (open cry) and the closing rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from core.errors import DomainError

DEFAULT_INCREMENT = Decimal("1.00")


def parse_increments(raw) -> list[list[str]]:
    """[[from price, increment], ...] as strings, sorted by price; raises on nonsense."""
    bands = []
    for item in raw or []:
        try:
            floor, step = (Decimal(str(x)) for x in item)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise DomainError(
                "Each increment band is [from price, increment].", field="increments"
            ) from exc
        if floor < 0 or step <= 0:
            raise DomainError(
                "Band prices are 0 or more and increments more than 0.", field="increments"
            )
        bands.append((floor, step))
    bands.sort()
    if len({floor for floor, _ in bands}) != len(bands):
        raise DomainError("Two increment bands start at the same price.", field="increments")
    return [[str(floor), str(step)] for floor, step in bands]


def increment_for(bands: list, price: Decimal) -> Decimal:
    """The minimum raise above `price`: the band with the highest start at or under it."""
    step = None
    for floor, band_step in bands or []:
        if Decimal(floor) <= price:
            step = Decimal(band_step)
        else:
            break
    if step is None:
        step = Decimal(bands[0][1]) if bands else DEFAULT_INCREMENT
    return step


def extended_end(
    ends_at: datetime, now: datetime, closing_rule: str, minutes: int
) -> datetime | None:
    """The new end time when a bid lands within the last `minutes` of an extending auction."""
    if closing_rule != "extend" or not minutes:
        return None
    window = timedelta(minutes=minutes)
    if ends_at - now < window:
        return now + window
    return None

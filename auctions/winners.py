"""Assign the winning bids of a closed auction: a pure function of the bids (no Django, no
database), so its properties are tested with hypothesis (tests/auctions/test_winners.py).

Ranking: price (highest first), then, in a Dutch auction, quantity (largest first), then time
(earliest first), then id. Walking the ranking, each bid gets its whole quantity if it fits in
what is left, or what is left when it accepts partial quantities; an all-or-nothing bid that
does not fit is passed over and the walk goes on. Bids under the reserve price never win.

Open cry and sealed bid: each winner pays its own price. Dutch: every winner pays the lowest
winning price (uniform price).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

OPEN_CRY, SEALED, DUTCH = "open_cry", "sealed", "dutch"


@dataclass(frozen=True)
class BidIn:
    id: int
    price: Decimal
    quantity: int
    accept_partial: bool
    placed_at: datetime


@dataclass(frozen=True)
class Award:
    bid_id: int
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Outcome:
    awards: tuple[Award, ...]
    clearing_price: Decimal | None  # Dutch: the uniform price; else the lowest winning price

    @property
    def total_quantity(self) -> int:
        return sum(a.quantity for a in self.awards)


def ranked(auction_type: str, bids: Iterable[BidIn]) -> list[BidIn]:
    if auction_type == DUTCH:
        return sorted(bids, key=lambda b: (-b.price, -b.quantity, b.placed_at, b.id))
    return sorted(bids, key=lambda b: (-b.price, b.placed_at, b.id))


def assign_winners(
    auction_type: str, quantity: int, bids: Iterable[BidIn], reserve_price: Decimal | None = None
) -> Outcome:
    left = quantity
    taken: list[tuple[BidIn, int]] = []
    for bid in ranked(auction_type, bids):
        if left <= 0:
            break
        if reserve_price is not None and bid.price < reserve_price:
            break  # the ranking is by price: every later bid is under the reserve too
        if bid.quantity <= left:
            take = bid.quantity
        elif bid.accept_partial:
            take = left
        else:
            continue
        taken.append((bid, take))
        left -= take
    if not taken:
        return Outcome((), None)
    lowest = min(bid.price for bid, _ in taken)
    awards = tuple(
        Award(bid.id, take, lowest if auction_type == DUTCH else bid.price) for bid, take in taken
    )
    return Outcome(awards, lowest)

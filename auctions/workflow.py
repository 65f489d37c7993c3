"""The auction's and the bid's state machines: one table each. Services change a status only
through auctions/status.py, which checks here."""

from auctions.models import AuctionStatus as A
from auctions.models import BidStatus as B
from core.errors import InvalidTransition

AUCTION_TRANSITIONS: dict[str, set[str]] = {
    A.DRAFT: {A.SCHEDULED, A.CANCELED},
    A.SCHEDULED: {A.CLOSED, A.CANCELED},
    A.CLOSED: set(),
    A.CANCELED: set(),
}

BID_TRANSITIONS: dict[str, set[str]] = {
    B.ACTIVE: {B.REPLACED, B.WITHDRAWN, B.WON, B.LOST},
    B.WON: {B.ORDERED, B.FAILED},
    B.FAILED: {B.ORDERED, B.FAILED},
    B.REPLACED: set(),
    B.WITHDRAWN: set(),
    B.LOST: set(),
    B.ORDERED: set(),
}

# Store admins may still change the rules of these.
EDITABLE = frozenset({A.DRAFT})


def check_auction_transition(current: str, target: str) -> None:
    if target not in AUCTION_TRANSITIONS[current]:
        raise InvalidTransition(
            f"An auction that is {A(current).label.lower()} "
            f"cannot become {A(target).label.lower()}."
        )


def check_bid_transition(current: str, target: str) -> None:
    if target not in BID_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A bid that is {B(current).label.lower()} cannot become {B(target).label.lower()}."
        )

"""The order and line state machines: one table each. Services move states only through here."""

from core.errors import InvalidTransition
from orders.models import LineInventoryStatus as L
from orders.models import OrderStatus as S
from orders.models import QuoteStatus as Q

ORDER_TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.SUBMITTED, S.CANCELED},
    S.SUBMITTED: {S.AUTHORIZED, S.PAYMENT_REVIEW, S.BACKORDERED, S.PENDING, S.CANCELED},
    S.AUTHORIZED: {S.RELEASED, S.BACKORDERED, S.PAYMENT_REVIEW, S.CANCELED},
    S.PAYMENT_REVIEW: {S.AUTHORIZED, S.CANCELED},
    S.BACKORDERED: {S.AUTHORIZED, S.RELEASED, S.CANCELED},
    S.RELEASED: {S.SHIPPED, S.RELEASED},
    S.SHIPPED: set(),
    S.CANCELED: set(),
}

LINE_TRANSITIONS: dict[str, set[str]] = {
    L.UNALLOCATED: {L.ALLOCATED, L.BACKORDERED, L.CANCELED},
    L.ALLOCATED: {L.UNALLOCATED, L.RELEASED, L.BACKORDERED, L.CANCELED},
    L.BACKORDERED: {L.ALLOCATED, L.UNALLOCATED, L.CANCELED},
    L.RELEASED: {L.SHIPPED},
    L.SHIPPED: set(),
    L.CANCELED: set(),
}


def check_order_transition(current: str, target: str) -> None:
    if target not in ORDER_TRANSITIONS[current]:
        raise InvalidTransition(
            f"An order that is {S(current).label.lower()} cannot become {S(target).label.lower()}."
        )


def check_line_transition(current: str, target: str) -> None:
    if target not in LINE_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A line that is {L(current).label.lower()} cannot become {L(target).label.lower()}."
        )


# A quote is not an order status: the quoted cart stays `pending` (so converting is its
# ordinary submit, and every cart path keeps working); the quote's own life is this table.
QUOTE_TRANSITIONS: dict[str, set[str]] = {
    Q.OPEN: {Q.CONVERTED, Q.EXPIRED, Q.CANCELED},
    Q.EXPIRED: {Q.CONVERTED, Q.CANCELED},
    Q.CONVERTED: set(),
    Q.CANCELED: set(),
}


def check_quote_transition(current: str, target: str) -> None:
    if target not in QUOTE_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A quote that is {Q(current).label.lower()} cannot become {Q(target).label.lower()}."
        )

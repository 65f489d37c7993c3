"""The home screen's one box: who is calling, and what of theirs is open.

A phone number, e-mail, name, logon ID, order number or ZIP finds registered customers (the
"Find customer" search) and orders (the "Find orders" search) at once; each customer comes with
their open orders and parked carts, and the orders found that belong to guests come on their
own. Callers found only through an order (its number) are added with theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orders import integrations as ext
from orders.models import Order, OrderStatus
from orders.selectors import order_search

CALLERS_SHOWN = 10
OPEN_STATUSES = (
    OrderStatus.PENDING,
    OrderStatus.SUBMITTED,
    OrderStatus.AUTHORIZED,
    OrderStatus.PAYMENT_REVIEW,
    OrderStatus.BACKORDERED,
    OrderStatus.RELEASED,
)


@dataclass
class Caller:
    customer: object
    open_orders: list[Order] = field(default_factory=list)


@dataclass
class CallerLookup:
    callers: list[Caller]
    guest_orders: list[Order]


def find_callers(query: str) -> CallerLookup:
    """Customers matching `query` with their open orders, and the guest orders it matches."""
    query = query.strip()
    orders = list(order_search(query=query, limit=CALLERS_SHOWN)[:CALLERS_SHOWN])
    customers = ext.customers_found(query, limit=CALLERS_SHOWN)
    known = {c.pk for c in customers}
    customers += ext.customers_by_id(
        {o.customer_id for o in orders if o.customer_id and o.customer_id not in known}
    )
    open_orders: dict[int, list[Order]] = {c.pk: [] for c in customers}
    for order in Order.objects.filter(
        customer_id__in=list(open_orders), status__in=OPEN_STATUSES
    ).order_by("-modified_at", "-id"):
        open_orders[order.customer_id].append(order)
    return CallerLookup(
        callers=[Caller(customer, open_orders[customer.pk]) for customer in customers],
        guest_orders=[o for o in orders if o.customer_id is None],
    )

"""Who the order is for, on the order screen: the customer's pinned notes, last orders,
member groups and business account, so the CSR has the context while on the call."""

from __future__ import annotations

from dataclasses import dataclass

from orders import integrations as ext
from orders.models import Order

RECENT_ORDERS = 5


@dataclass
class CustomerContext:
    customer: object
    pinned_notes: list
    recent_orders: list[Order]
    segments: list


def customer_context(order: Order) -> CustomerContext | None:
    """The registered customer's context (guests have none): four small queries."""
    if order.customer_id is None:
        return None
    recent = (
        Order.objects.filter(customer_id=order.customer_id)
        .exclude(pk=order.pk)
        .order_by("-created_at", "-id")[:RECENT_ORDERS]
    )
    return CustomerContext(
        customer=order.customer,
        pinned_notes=ext.pinned_notes(order.customer_id),
        recent_orders=list(recent),
        segments=ext.segments_of(order.customer_id),
    )

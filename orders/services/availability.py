"""Available To Promise: the order's choice, and backorders moved to an order of their own."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from core.errors import DomainError
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders import allocation, backorders
from orders.models import (
    AvailabilityChoice,
    Order,
)
from orders.services._common import _claim, _event, _reprice


@transaction.atomic
def atp_choice_set(*, actor, order: Order, choice: str, version=None) -> list[str]:
    """The Available To Promise choice (fulfillment applies it; "drop backorders" trims lines).
    Returns fulfillment's messages for the CSR."""
    require(actor, Perm.USE_DESK, "change orders")
    if choice not in AvailabilityChoice.values:
        raise DomainError("Choose one of the three availability options.", field="atp_choice")
    order = _claim(order, version)
    old = order.atp_choice
    Order.objects.filter(pk=order.pk).update(atp_choice=choice)
    order.atp_choice = choice
    messages = allocation.apply_atp_choice(order=order, choice=choice, actor=actor)
    _event(order, E.ORDER_ATP_CHOICE_SET, actor, old=old, new=choice)
    if choice == AvailabilityChoice.SHIP_AVAILABLE_DROP_BACKORDERS:
        _reprice(order, actor)
    return list(messages)


def backorders_move(*, actor, order: Order) -> Order:
    """Move the backordered quantities to a new order ("separate order" in the seeds);
    fulfillment moves them, reprices and audits both orders."""
    require(actor, Perm.USE_DESK, "change orders")
    with transaction.atomic():
        new_order = backorders.move_backorders_to_new_order(order=order, actor=actor)
        Order.objects.filter(pk=order.pk).update(version=F("version") + 1)
    return new_order

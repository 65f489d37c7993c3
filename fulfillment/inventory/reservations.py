"""Reservations: stock held back from normal sale for something that is not an order line
(an auction's lot). A reservation moves `Inventory.allocated` like an allocation does, so ATP
drops at once; it has no LineAllocation row, its owner (the caller) keeps how much it holds and
gives it back with `release_reserved`. Audited as FulfillmentEvents ("reservation").

The caller checks who may reserve (auctions: store admins; closing: the job); `reference` names
the owner ("auction:12") in the audit trail.
"""

from __future__ import annotations

from core.errors import DomainError
from core.events import EventType
from fulfillment.inventory import locks
from fulfillment.inventory.stock import stock_freed
from fulfillment.models import FulfillmentEvent, Inventory


def _event(event_type, actor, row: Inventory, quantity: int, reference: str) -> None:
    FulfillmentEvent.objects.create(
        event_type=int(event_type),
        actor=actor,
        object_type="reservation",
        object_id=row.pk,
        data={
            "sku": row.sku_id,
            "center": row.center_id,
            "quantity": quantity,
            "reference": reference,
            "allocated": row.allocated,
        },
    )


def reserve_stock(*, actor, sku_id: int, center_id: int, quantity: int, reference: str) -> None:
    """Hold `quantity` of the SKU in the center from ATP, or raise (not enough available).
    Call inside the caller's transaction: the inventory row stays locked until it commits."""
    if not isinstance(quantity, int) or quantity <= 0:
        raise DomainError("The quantity to reserve must be a positive whole number.")
    rows = locks.lock_inventory(sku_ids=[sku_id], center_ids=[center_id])
    available = rows[0].on_hand - rows[0].allocated if rows else 0
    if quantity > available:
        raise DomainError(
            f"Only {available} available in this center; {quantity} cannot be reserved.",
            field="quantity",
        )
    row = rows[0]
    row.allocated += quantity
    row.save(update_fields=["allocated", "updated_at"])
    _event(EventType.STOCK_RESERVED, actor, row, quantity, reference)


def release_reserved(*, actor, sku_id: int, center_id: int, quantity: int, reference: str) -> None:
    """Give back `quantity` reserved earlier with `reserve_stock` (waiting backorders are told)."""
    if quantity <= 0:
        return
    row = locks.lock_inventory(sku_ids=[sku_id], center_ids=[center_id])[0]
    row.allocated = max(0, row.allocated - quantity)
    row.save(update_fields=["allocated", "updated_at"])
    _event(EventType.STOCK_RESERVATION_RELEASED, actor, row, quantity, reference)
    stock_freed([sku_id])

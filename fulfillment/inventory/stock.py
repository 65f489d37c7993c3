"""Stock: adjust on hand, expect goods from vendors, receive them.

When stock becomes free for SKUs (goods received or found, a promise or an allocation given
back), waiting backorders may take it. Giving it to them changes order lines, which is orders'
business, above this layer: the order flow subscribes with `on_stock_freed` (fulfillment's
AppConfig.ready) and is told after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.db.models import Q

from catalog.models import SKU
from core.errors import DomainError, NotAllowed, NotFound
from core.events import EventType
from core.roles import Perm
from fulfillment.inventory import locks
from fulfillment.models import (
    AdjustmentReason,
    ExpectedInventory,
    FulfillmentCenter,
    FulfillmentEvent,
    Inventory,
    InventoryAdjustment,
    Vendor,
)

_stock_freed_listeners: list[Callable[[list[int]], None]] = []


def on_stock_freed(listener: Callable[[list[int]], None]) -> None:
    """Call `listener(sku_ids)` after each commit that freed stock of these SKUs."""
    if listener not in _stock_freed_listeners:
        _stock_freed_listeners.append(listener)


def stock_freed(sku_ids) -> None:
    """Stock of these SKUs became free in this transaction: tell the listeners after commit."""
    ids = sorted(set(sku_ids) - {None})
    if not ids:
        return
    for listener in _stock_freed_listeners:
        transaction.on_commit(lambda listener=listener: listener(ids))


def _require_inventory_manager(actor, action: str) -> None:
    if (
        actor is not None
        and actor.is_active
        and (actor.has_perm(str(Perm.RUN_OPERATIONS)) or actor.has_perm(str(Perm.MANAGE_STORE)))
    ):
        return
    raise NotAllowed(f"You do not have permission to {action}.")


def _resolve_center(center) -> FulfillmentCenter:
    if isinstance(center, FulfillmentCenter):
        return center
    found = FulfillmentCenter.objects.filter(code__iexact=str(center).strip()).first()
    if found is None and str(center).isdigit():
        found = FulfillmentCenter.objects.filter(pk=int(center)).first()
    if found is None:
        raise NotFound(f"There is no fulfillment center {center}.", field="center")
    return found


def _resolve_sku(sku):
    if isinstance(sku, SKU):
        return sku
    found = SKU.objects.filter(code__iexact=str(sku).strip()).first()
    if found is None and str(sku).isdigit():
        found = SKU.objects.filter(pk=int(sku)).first()
    if found is None:
        raise NotFound(f"There is no SKU {sku}.", field="sku")
    return found


@transaction.atomic
def adjust_inventory(
    *, actor, sku, center, quantity: int, reason: str, note: str = ""
) -> InventoryAdjustment:
    """ "Adjust inventory": change on hand by `quantity` (+/-) for a reason; audited."""
    _require_inventory_manager(actor, "adjust inventory")
    if reason not in AdjustmentReason.values:
        raise DomainError(f"Choose a reason for the adjustment (not {reason!r}).", field="reason")
    if not isinstance(quantity, int) or quantity == 0:
        raise DomainError("Enter a non-zero whole quantity to add or remove.", field="quantity")
    sku = _resolve_sku(sku)
    center = _resolve_center(center)
    Inventory.objects.get_or_create(sku=sku, center=center)
    row = locks.lock_inventory(sku_ids=[sku.pk], center_ids=[center.pk])[0]
    new_on_hand = row.on_hand + quantity
    if new_on_hand < 0:
        raise DomainError(
            f"{center.code} has only {row.on_hand} of {sku.code} on hand; "
            f"it cannot remove {-quantity}.",
            field="quantity",
        )
    if new_on_hand < row.allocated:
        raise DomainError(
            f"{row.allocated} of {sku.code} in {center.code} are allocated to orders; on hand "
            f"cannot go below that (it would be {new_on_hand}). Deallocate or move orders first.",
            field="quantity",
        )
    adjustment = InventoryAdjustment.objects.create(
        event_type=int(EventType.INVENTORY_ADJUSTED),
        actor=actor,
        inventory=row,
        reason=reason,
        quantity=quantity,
        on_hand_before=row.on_hand,
        on_hand_after=new_on_hand,
        note=note,
        data={"sku": sku.code, "center": center.code, "old": row.on_hand, "new": new_on_hand},
    )
    row.on_hand = new_on_hand
    row.save(update_fields=["on_hand", "updated_at"])
    if quantity > 0:
        stock_freed([sku.pk])
    return adjustment


@transaction.atomic
def create_expected_inventory(
    *, actor, vendor, sku, center, quantity: int, expected_date: date, reference: str = ""
) -> ExpectedInventory:
    """ "Create expected inventory record"."""
    _require_inventory_manager(actor, "record expected inventory")
    if not isinstance(quantity, int) or quantity <= 0:
        raise DomainError(
            "The expected quantity must be a positive whole number.", field="quantity"
        )
    if not isinstance(vendor, Vendor):
        found = Vendor.objects.filter(
            Q(code__iexact=str(vendor)) | Q(pk=vendor if str(vendor).isdigit() else None)
        ).first()
        if found is None:
            raise NotFound(f"There is no vendor {vendor}.", field="vendor")
        vendor = found
    sku = _resolve_sku(sku)
    center = _resolve_center(center)
    row = ExpectedInventory.objects.create(
        vendor=vendor,
        sku=sku,
        center=center,
        quantity=quantity,
        expected_date=expected_date,
        reference=reference,
    )
    FulfillmentEvent.objects.create(
        event_type=int(EventType.EXPECTED_INVENTORY_CREATED),
        actor=actor,
        object_type="expected_inventory",
        object_id=row.pk,
        data={
            "sku": sku.code,
            "center": center.code,
            "vendor": vendor.code,
            "quantity": quantity,
            "expected_date": expected_date.isoformat(),
        },
    )
    # Backorders waiting with no date may now be promised a date.
    stock_freed([sku.pk])
    return row


@transaction.atomic
def receive_expected(*, actor, expected, quantity: int, note: str = "") -> InventoryAdjustment:
    """Receive goods against an expected-inventory record: expected becomes on hand."""
    _require_inventory_manager(actor, "receive inventory")
    if not isinstance(quantity, int) or quantity <= 0:
        raise DomainError(
            "The received quantity must be a positive whole number.", field="quantity"
        )
    exp_id = expected.pk if isinstance(expected, ExpectedInventory) else expected
    head = ExpectedInventory.objects.filter(pk=exp_id).select_related("sku", "center").first()
    if head is None:
        raise NotFound("There is no such expected-inventory record.", field="expected")
    Inventory.objects.get_or_create(sku_id=head.sku_id, center_id=head.center_id)
    # lock order: inventory, then expected
    row = locks.lock_inventory(sku_ids=[head.sku_id], center_ids=[head.center_id])[0]
    exp = locks.lock_expected_rows([head.pk])[0]
    open_qty = exp.quantity - exp.received_quantity
    if quantity > open_qty:
        raise DomainError(
            f"Only {open_qty} of {head.sku.code} are still expected on this record "
            f"({exp.quantity} ordered, {exp.received_quantity} received); "
            f"record the extra {quantity - open_qty} as an adjustment.",
            field="quantity",
        )
    exp.received_quantity += quantity
    exp.save(update_fields=["received_quantity"])
    adjustment = InventoryAdjustment.objects.create(
        event_type=int(EventType.INVENTORY_RECEIVED),
        actor=actor,
        inventory=row,
        reason=AdjustmentReason.RECEIVED,
        quantity=quantity,
        on_hand_before=row.on_hand,
        on_hand_after=row.on_hand + quantity,
        note=note or (f"PO {exp.reference}" if exp.reference else ""),
        data={
            "sku": head.sku.code,
            "center": head.center.code,
            "expected": exp.pk,
            "old": row.on_hand,
            "new": row.on_hand + quantity,
        },
    )
    row.on_hand += quantity
    row.save(update_fields=["on_hand", "updated_at"])
    stock_freed([head.sku_id])
    return adjustment

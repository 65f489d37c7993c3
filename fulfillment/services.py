"""Write actions of the fulfillment app: allocate, deallocate, adjust, receive, ATP, backorders.

Locking order, everywhere: order lines, then inventory rows, then expected-inventory rows, each
set in primary-key order (fulfillment/locks.py). Allocation works on sets of lines (one order or
one batch of backorders) with a constant number of queries, so a 30-line order costs the same
round trips as one line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from core.errors import DomainError, NotAllowed, NotFound
from core.events import EventType
from core.money import distribute
from core.permissions import require
from core.roles import Perm
from fulfillment import locks
from fulfillment.db import bulk_set, write_allocation
from fulfillment.models import (
    AdjustmentReason,
    AllocationKind,
    ExpectedInventory,
    FulfillmentCenter,
    FulfillmentEvent,
    Inventory,
    InventoryAdjustment,
    LineAllocation,
    Vendor,
)
from fulfillment.selectors import EligibleCenters, line_demands
from orders.status import orders_follow

# Lines in these states hold (or wait for) stock; the others are out of allocation's hands.
ACTIVE_LINE_STATES = ("unallocated", "allocated", "backordered")


def _require_inventory_manager(actor, action: str) -> None:
    if (
        actor is not None
        and actor.is_active
        and (actor.has_perm(str(Perm.RUN_OPERATIONS)) or actor.has_perm(str(Perm.MANAGE_STORE)))
    ):
        return
    raise NotAllowed(f"You do not have permission to {action}.")


def _order_event(order_id: int, event_type: EventType, actor, data: dict):
    from orders.models import OrderEvent

    return OrderEvent(order_id=order_id, event_type=int(event_type), actor=actor, data=data)


def _bump_version(order_ids) -> None:
    from orders.models import Order

    Order.objects.filter(pk__in=list(order_ids)).update(version=F("version") + 1)


# --- allocation ------------------------------------------------------------------------------


@dataclass
class LineResult:
    """What allocation did for one line, in words a CSR can read."""

    line_id: int
    sku_id: int
    quantity: int
    status: str
    on_hand: int = 0
    expected: int = 0
    backorder: int = 0
    centers: list[str] = field(default_factory=list)
    expected_date: date | None = None
    note: str = ""

    def as_data(self) -> dict:
        return {
            "line": self.line_id,
            "sku": self.sku_id,
            "quantity": self.quantity,
            "status": self.status,
            "on_hand": self.on_hand,
            "expected": self.expected,
            "backorder": self.backorder,
            "centers": self.centers,
            "expected_date": self.expected_date.isoformat() if self.expected_date else None,
        }

    @property
    def message(self) -> str:
        if self.note:
            return self.note
        parts = []
        if self.on_hand:
            parts.append(f"{self.on_hand} allocated from {', '.join(self.centers)}")
        if self.expected:
            parts.append(f"{self.expected} backordered, expected {self.expected_date:%-d %b}")
        if self.backorder:
            parts.append(f"{self.backorder} backordered with no expected date")
        return "; ".join(parts) or "nothing allocated"


def _release_in_memory(
    allocs, inventory: dict[int, Inventory], expected: dict[int, ExpectedInventory]
):
    """Give back what these allocation rows hold, on the (locked) rows in memory."""
    for a in allocs:
        if a.kind == AllocationKind.ON_HAND:
            inventory[a.inventory_id].allocated -= a.quantity
        elif a.kind == AllocationKind.EXPECTED:
            row = expected[a.expected_id]
            row.promised_quantity = max(0, row.promised_quantity - a.quantity)


def _allocate_demand(line, sku_id, quantity, centers, inv_by_key, exp_by_sku, out, now, result):
    """Allocate `quantity` of `sku_id` for `line`: on hand by center precedence, then expected
    (earliest first), then undated. Appends LineAllocation rows to `out`; returns the split."""
    remaining = quantity
    on_hand = expected = 0
    for center in centers:
        if remaining <= 0:
            break
        row = inv_by_key.get((sku_id, center.pk))
        if row is None or row.on_hand - row.allocated <= 0:
            continue
        take = min(remaining, row.on_hand - row.allocated)
        row.allocated += take
        remaining -= take
        on_hand += take
        if center.code not in result.centers:
            result.centers.append(center.code)
        out.append(
            LineAllocation(
                line_id=line.pk,
                sku_id=sku_id,
                kind=AllocationKind.ON_HAND,
                quantity=take,
                center_id=center.pk,
                inventory_id=row.pk,
                allocated_at=now,
            )
        )
    if remaining > 0:
        ok_centers = {c.pk for c in centers}
        for row in exp_by_sku.get(sku_id, []):
            if remaining <= 0:
                break
            free = row.quantity - row.received_quantity - row.promised_quantity
            if row.center_id not in ok_centers or free <= 0:
                continue
            take = min(remaining, free)
            row.promised_quantity += take
            remaining -= take
            expected += take
            result.expected_date = max(result.expected_date or row.expected_date, row.expected_date)
            out.append(
                LineAllocation(
                    line_id=line.pk,
                    sku_id=sku_id,
                    kind=AllocationKind.EXPECTED,
                    quantity=take,
                    center_id=row.center_id,
                    expected_id=row.pk,
                    expected_date=row.expected_date,
                    allocated_at=now,
                )
            )
    if remaining > 0:
        out.append(
            LineAllocation(
                line_id=line.pk,
                sku_id=sku_id,
                kind=AllocationKind.BACKORDER,
                quantity=remaining,
                allocated_at=now,
            )
        )
    return on_hand, expected, remaining


def _allocate_locked_lines(
    lines, *, actor, eligible: EligibleCenters, event_type=EventType.LINES_ALLOCATED
):
    """Allocate these locked lines (in the given order: it decides who gets scarce stock).

    Releases what the lines held, then allocates from on-hand stock in eligible centers by
    precedence, then against expected inventory (earliest date first), then backorders the rest
    with no date. A kit is allocated as its components and is allocated only when all of them
    are; a service takes no stock. Returns {line_id: LineResult}; for a kit the quantities in
    the result count whole kits.
    """
    from orders.models import LineInventoryStatus as L
    from orders.workflow import check_line_transition

    if not lines:
        return {}
    now = timezone.now()
    line_ids = [line.pk for line in lines]
    demands = line_demands(lines)
    sku_ids = {sku_id for need in demands.values() for sku_id, _ in need}
    center_ids: set[int] = set()
    centers_of: dict[int, list] = {}
    for line in lines:
        if line.inventory_status not in ACTIVE_LINE_STATES:
            check_line_transition(line.inventory_status, L.ALLOCATED)  # raises with a message
        centers_of[line.pk] = eligible.for_ship_to(line.ship_to) if demands[line.pk] else []
        center_ids.update(c.pk for c in centers_of[line.pk])

    # what _release_in_memory and the delete need, without a model instance per row
    held = list(
        LineAllocation.objects.filter(line_id__in=line_ids).values_list(
            "pk", "kind", "quantity", "inventory_id", "expected_id", named=True
        )
    )
    held_inv = [a.inventory_id for a in held if a.inventory_id]
    held_exp = [a.expected_id for a in held if a.expected_id]
    inventory = {
        row.pk: row
        for row in Inventory.objects.select_for_update()
        .filter(Q(pk__in=held_inv) | Q(sku_id__in=sku_ids, center_id__in=center_ids))
        .order_by("pk")
    }
    expected = {
        row.pk: row
        for row in ExpectedInventory.objects.select_for_update()
        .filter(
            Q(pk__in=held_exp)
            | Q(
                sku_id__in=sku_ids,
                center_id__in=center_ids,
                received_quantity__lt=F("quantity"),
            )
        )
        .order_by("pk")
    }
    before_inv = {pk: row.allocated for pk, row in inventory.items()}
    before_exp = {pk: row.promised_quantity for pk, row in expected.items()}
    _release_in_memory(held, inventory, expected)

    inv_by_key = {(row.sku_id, row.center_id): row for row in inventory.values()}
    exp_by_sku: dict[int, list[ExpectedInventory]] = defaultdict(list)
    for row in sorted(expected.values(), key=lambda r: (r.expected_date, r.pk)):
        exp_by_sku[row.sku_id].append(row)

    new_allocs: list[LineAllocation] = []
    results: dict[int, LineResult] = {}
    for line in lines:
        centers = centers_of[line.pk]
        need = demands[line.pk]
        result = LineResult(line.pk, line.sku_id, line.quantity, line.inventory_status)
        if not need:  # a service: nothing to hold
            target = L.ALLOCATED
            result.note = "no stock needed"
        elif not centers:
            target = L.UNALLOCATED
            where = line.ship_to
            method = getattr(where, "shipping_method", None) if where else None
            place = f"{where.city} {where.region} {where.country}" if where else "this address"
            result.note = (
                f"No fulfillment center ships {method or 'this shipping method'} to {place}; "
                "choose another shipping method."
            )
        else:
            # per demand: (needed, on hand, expected, undated) in component units
            parts = []
            for sku_id, quantity in need:
                got = _allocate_demand(
                    line, sku_id, quantity, centers, inv_by_key, exp_by_sku, new_allocs, now, result
                )
                parts.append((quantity, *got))
            if len(need) == 1 and need[0][0] == line.sku_id:
                _, result.on_hand, result.expected, result.backorder = parts[0]
            else:  # a kit: count whole kits
                per = {sku_id: q // line.quantity for sku_id, q in need}
                kits_now = min(p[1] // per[s] for p, (s, _) in zip(parts, need, strict=True))
                kits_dated = min(
                    (p[1] + p[2]) // per[s] for p, (s, _) in zip(parts, need, strict=True)
                )
                result.on_hand = kits_now
                result.expected = kits_dated - kits_now
                result.backorder = line.quantity - kits_dated
            target = L.ALLOCATED if result.on_hand == line.quantity else L.BACKORDERED
        if line.inventory_status != target:
            check_line_transition(line.inventory_status, target)
        line.inventory_status = target
        result.status = target
        results[line.pk] = result

    by_order: dict[int, list[dict]] = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(results[line.pk].as_data())
    write_allocation(
        inventory={pk: r.allocated for pk, r in inventory.items() if r.allocated != before_inv[pk]},
        expected={
            pk: r.promised_quantity
            for pk, r in expected.items()
            if r.promised_quantity != before_exp[pk]
        },
        delete_ids=[a.pk for a in held],
        new_allocations=new_allocs,
        line_status={x.pk: x.inventory_status for x in lines},
        events={oid: {"lines": data} for oid, data in by_order.items()},
        event_type=event_type,
        actor=actor,
    )
    return results


def _lock_line(line):
    locked = locks.lock_lines([line.pk])
    if not locked:
        raise NotFound("That order line no longer exists.")
    return locked[0]


# allocate_line / deallocate_line: no savepoint of their own (two round trips on every cart
# change). They are atomic on their own, and inside a caller's transaction a failure rolls back
# with that transaction: no caller catches their errors and goes on.
@transaction.atomic(savepoint=False)
def allocate_line(*, line, actor=None) -> LineResult:
    """Allocate (or re-allocate, after a quantity or ship-to change) one order line."""
    locked = _lock_line(line)
    result = _allocate_locked_lines([locked], actor=actor, eligible=EligibleCenters())[locked.pk]
    line.inventory_status = locked.inventory_status
    return result


@transaction.atomic
def allocate_order(*, order, actor=None) -> dict[int, LineResult]:
    """Allocate every active line of the order (re-allocating what it already holds)."""
    lines = locks.lock_lines(order=order, inventory_status__in=ACTIVE_LINE_STATES)
    return _allocate_locked_lines(lines, actor=actor, eligible=EligibleCenters())


@transaction.atomic
def reallocate_invalid_lines(*, order, actor=None) -> dict[int, LineResult]:
    """ "Get invalidly allocated line items" and allocate them again (ship-to or quantity
    changed, or never allocated)."""
    from fulfillment.selectors import invalidly_allocated_lines

    invalid = invalidly_allocated_lines(order=order)
    if not invalid:
        return {}
    lines = locks.lock_lines([line.pk for line in invalid])
    return _allocate_locked_lines(lines, actor=actor, eligible=EligibleCenters())


def _give_back(held: list) -> None:
    """Return what these allocation rows hold to stock (rows locked in key order), then delete
    them."""
    inventory = {
        r.pk: r for r in locks.lock_inventory_rows({a.inventory_id for a in held if a.inventory_id})
    }
    expected = {
        r.pk: r for r in locks.lock_expected_rows({a.expected_id for a in held if a.expected_id})
    }
    _release_in_memory(held, inventory, expected)
    if inventory:
        bulk_set(Inventory, "allocated", {k: r.allocated for k, r in inventory.items()})
    if expected:
        bulk_set(
            ExpectedInventory,
            "promised_quantity",
            {k: r.promised_quantity for k, r in expected.items()},
        )
    LineAllocation.objects.filter(pk__in=[a.pk for a in held]).delete()


def _release_lines(line_ids, *, actor, event_type=EventType.LINES_DEALLOCATED, status=None):
    """Release everything these (locked) lines hold; set them unallocated (or `status`)."""
    from orders.models import LineInventoryStatus as L
    from orders.models import OrderLine
    from orders.workflow import check_line_transition

    held = list(LineAllocation.objects.filter(line_id__in=list(line_ids)))
    if held:
        _give_back(held)
        freed = {a.sku_id for a in held if a.kind == AllocationKind.ON_HAND and a.sku_id}
        if freed:  # stock given back may be what a backorder waits for
            _enqueue_backorder_allocation(freed)
    target = status or L.UNALLOCATED
    changed = []
    lines = list(OrderLine.objects.filter(pk__in=list(line_ids)))
    for line in lines:
        if line.inventory_status == target or line.inventory_status not in ACTIVE_LINE_STATES:
            continue
        check_line_transition(line.inventory_status, target)
        line.inventory_status = target
        changed.append(line)
    if changed:
        bulk_set(OrderLine, "inventory_status", {x.pk: x.inventory_status for x in changed}, "text")
    if held:
        order_of = {line.pk: line.order_id for line in lines}
        by_order: dict[int, list[dict]] = defaultdict(list)
        for a in held:
            by_order[order_of[a.line_id]].append(
                {"line": a.line_id, "kind": a.kind, "quantity": a.quantity}
            )
        from orders.models import OrderEvent

        OrderEvent.objects.bulk_create(
            [_order_event(oid, event_type, actor, {"released": d}) for oid, d in by_order.items()]
        )
    return held


@transaction.atomic(savepoint=False)
def deallocate_line(*, line, actor=None) -> None:
    """Release what the line holds (line removed, quantity about to change, order canceled)."""
    locked = _lock_line(line)
    _release_lines([locked.pk], actor=actor)
    locked.refresh_from_db(fields=["inventory_status"])
    line.inventory_status = locked.inventory_status


@transaction.atomic
def deallocate_order(*, order, actor=None) -> None:
    lines = locks.lock_lines(order=order)
    _release_lines([line.pk for line in lines], actor=actor)


def release_deleted_line(line_id: int) -> None:
    """Safety net for a line deleted without deallocate_line: give its stock back."""
    with transaction.atomic():
        held = list(LineAllocation.objects.filter(line_id=line_id))
        if not held:
            return
        _give_back(held)


# --- stock: adjust, expect, receive ----------------------------------------------------------


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
    from catalog.models import SKU

    if isinstance(sku, SKU):
        return sku
    found = SKU.objects.filter(code__iexact=str(sku).strip()).first()
    if found is None and str(sku).isdigit():
        found = SKU.objects.filter(pk=int(sku)).first()
    if found is None:
        raise NotFound(f"There is no SKU {sku}.", field="sku")
    return found


# Extra apply_async options for the tasks enqueued here (the integration test names its queue).
TASK_OPTIONS: dict = {}


def _enqueue_backorder_allocation(sku_ids) -> None:
    from fulfillment import tasks

    ids = sorted(set(sku_ids))
    transaction.on_commit(lambda: tasks.allocate_backorders.apply_async(args=[ids], **TASK_OPTIONS))


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
        _enqueue_backorder_allocation([sku.pk])
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
    _enqueue_backorder_allocation([sku.pk])
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
    _enqueue_backorder_allocation([head.sku_id])
    return adjustment


# --- backorders allocated on receipt ---------------------------------------------------------


@transaction.atomic
def allocate_waiting_backorders(*, sku_ids, actor=None, limit: int = 1000) -> int:
    """Give newly available stock to backordered lines of these SKUs, oldest first.

    Idempotent: lines that are fully allocated are not touched again. The order's status
    follows: a backordered order whose lines are all allocated becomes payment authorized.
    Returns the number of lines that got more stock.
    """

    sku_ids = list(sku_ids)
    waiting = (
        LineAllocation.objects.filter(
            sku_id__in=sku_ids,
            kind__in=[AllocationKind.EXPECTED, AllocationKind.BACKORDER],
            line__inventory_status="backordered",
        )
        .exclude(line__order__status="canceled")
        .values("line_id")
        .annotate(since=Min("allocated_at"))
        .order_by("since", "line_id")[:limit]
    )
    order_of_age = [w["line_id"] for w in waiting]
    if not order_of_age:
        return 0
    has_stock = Inventory.objects.filter(sku_id__in=sku_ids, on_hand__gt=F("allocated")).exists()
    has_expected = ExpectedInventory.objects.filter(
        sku_id__in=sku_ids, quantity__gt=F("received_quantity") + F("promised_quantity")
    ).exists()
    if not has_stock and not has_expected:
        return 0
    locked = {line.pk: line for line in locks.lock_lines(order_of_age)}
    lines = [
        locked[pk]
        for pk in order_of_age
        if pk in locked and locked[pk].inventory_status == "backordered"
    ]
    before_qty = defaultdict(int)
    for a in LineAllocation.objects.filter(
        line_id__in=[x.pk for x in lines], kind=AllocationKind.ON_HAND
    ):
        before_qty[a.line_id] += a.quantity
    results = _allocate_locked_lines(
        lines, actor=actor, eligible=EligibleCenters(), event_type=EventType.BACKORDERS_ALLOCATED
    )
    improved = sum(1 for pk, r in results.items() if r.on_hand > before_qty[pk])
    if improved and len(order_of_age) == limit:  # more may wait: another round after commit
        _enqueue_backorder_allocation(sku_ids)
    # The orders' status follows in a transaction of its own, once the lines are committed:
    # order rows are locked before lines elsewhere (orders' services), never after them here.
    order_ids = sorted({line.order_id for line in lines})
    transaction.on_commit(lambda: orders_follow(order_ids, actor=actor))
    return improved


# --- availability to promise -----------------------------------------------------------------


@transaction.atomic
def apply_atp_choice(*, order, choice, actor) -> list[str]:
    """Record the order's ATP choice. "Drop backorders" also trims every line to what is
    allocated now (a line with nothing allocated leaves the order). Returns messages."""
    from orders.models import AvailabilityChoice as C
    from orders.models import Order, OrderLine

    require(actor, Perm.USE_DESK, "change how the order ships")
    if choice not in C.values:
        raise DomainError(f"Unknown availability choice {choice!r}.", field="choice")
    locked_order = Order.objects.select_for_update().get(pk=order.pk)
    if locked_order.status in ("released", "shipped", "canceled"):
        raise DomainError(
            f"This order is {locked_order.get_status_display().lower()}; "
            "its shipping choice can no longer change."
        )
    messages: list[str] = []
    old = locked_order.atp_choice
    data: dict = {"old": old, "new": choice}
    if choice == C.SHIP_AVAILABLE_DROP_BACKORDERS:
        lines = locks.lock_lines(
            OrderLine.objects.filter(
                order=locked_order, inventory_status="backordered"
            ).values_list("pk", flat=True)
        )
        on_hand: dict[int, int] = defaultdict(int)
        for a in LineAllocation.objects.filter(line__in=lines, kind=AllocationKind.ON_HAND):
            on_hand[a.line_id] += a.quantity
        dropped = []
        for line in lines:
            # a kit ships whole: a backordered kit is dropped as a whole
            keep = 0 if line.sku.kind == "kit" else on_hand[line.pk]
            dropped.append({"line": line.pk, "sku": line.sku_id, "dropped": line.quantity - keep})
            if keep == 0:
                release_deleted_line(line.pk)  # everything it holds
                messages.append(f"{line.sku.code} dropped: nothing available now.")
                if locked_order.status == "pending":
                    line.delete()
                else:
                    OrderLine.objects.filter(pk=line.pk).update(inventory_status="canceled")
            else:
                _release_waiting(
                    list(
                        LineAllocation.objects.filter(line=line).exclude(
                            kind=AllocationKind.ON_HAND
                        )
                    )
                )
                messages.append(
                    f"{line.sku.code}: quantity {line.quantity} → {keep} (available now)."
                )
                OrderLine.objects.filter(pk=line.pk).update(
                    quantity=keep, inventory_status="allocated"
                )
        data["dropped"] = dropped
        if dropped:
            _reprice(locked_order, actor)
    Order.objects.filter(pk=locked_order.pk).update(atp_choice=choice, version=F("version") + 1)
    _order_event(locked_order.pk, EventType.ATP_CHOICE_CHANGED, actor, data).save()
    order.atp_choice = choice
    if choice == C.SHIP_COMPLETE:
        messages.append("The order ships when every line is available.")
    elif choice == C.SHIP_AVAILABLE_FIRST:
        messages.append("What is available ships now; backorders ship as they arrive.")
    return messages


def _release_waiting(allocs) -> None:
    """Release expected/backorder allocation rows (no on-hand stock involved)."""
    exp_ids = {a.expected_id for a in allocs if a.expected_id}
    if exp_ids:
        expected = {r.pk: r for r in locks.lock_expected_rows(exp_ids)}
        _release_in_memory(allocs, {}, expected)
        bulk_set(
            ExpectedInventory,
            "promised_quantity",
            {k: r.promised_quantity for k, r in expected.items()},
        )
    LineAllocation.objects.filter(pk__in=[a.pk for a in allocs]).delete()


def _reprice(order, actor) -> None:
    from orders.pricing import reprice_order

    reprice_order(order=order, actor=actor)


ORDER_FIELDS_NOT_COPIED = {
    "id",
    "number",
    "status",
    "version",
    "subtotal",
    "discount_total",
    "shipping_total",
    "tax_total",
    "total",
    "created_at",
    "modified_at",
    "submitted_at",
}


@transaction.atomic
def move_backorders_to_new_order(*, order, actor):
    """Move the backordered part of every line to a new order for the same customer, with the
    same addresses and payment; both orders are audited. A cart's two parts are repriced; a
    placed order's keep the prices they were sold at (`_carry_prices`)."""
    from orders.models import Order, OrderAddress, OrderLine
    from orders.models import OrderStatus as S

    require(actor, Perm.USE_DESK, "move backorders to a separate order")
    source = Order.objects.select_for_update().get(pk=order.pk)
    if source.status not in (S.PENDING, S.SUBMITTED, S.AUTHORIZED, S.BACKORDERED, S.PAYMENT_REVIEW):
        raise DomainError(
            f"This order is {source.get_status_display().lower()}; its backorders cannot move."
        )
    lines = locks.lock_lines(
        OrderLine.objects.filter(order=source, inventory_status="backordered").values_list(
            "pk", flat=True
        )
    )
    if not lines:
        raise DomainError("This order has no backordered lines to move.")
    allocs: dict[int, list[LineAllocation]] = defaultdict(list)
    for a in LineAllocation.objects.filter(line__in=lines):
        allocs[a.line_id].append(a)

    values = {
        f.attname: getattr(source, f.attname)
        for f in Order._meta.concrete_fields
        if f.name not in ORDER_FIELDS_NOT_COPIED
    }
    target = Order(**values)
    target.status = S.PENDING if source.status == S.PENDING else S.BACKORDERED
    if source.number:
        target.number = _split_number(source.number)
    if source.status != S.PENDING:
        target.submitted_at = source.submitted_at
    target.save()
    address_map: dict[int, int] = {}
    for address in OrderAddress.objects.filter(order=source):
        old_pk = address.pk
        address.pk = None
        address.id = None
        address.order = target
        address.save()
        address_map[old_pk] = address.pk
    if getattr(target, "current_ship_to_id", None):
        target.current_ship_to_id = address_map.get(target.current_ship_to_id)
        target.save(update_fields=["current_ship_to"])
    _copy_current_payment(source, target)

    moved = []
    for line in lines:
        held = allocs[line.pk]
        on_hand = sum(a.quantity for a in held if a.kind == AllocationKind.ON_HAND)
        if line.sku.kind == "kit":
            on_hand = 0  # a kit moves whole, with everything it holds
        waiting = [a for a in held if a.kind != AllocationKind.ON_HAND]
        waiting_qty = sum(a.quantity for a in waiting)
        new_ship_to = address_map.get(line.ship_to_id) if line.ship_to_id else None
        if on_hand == 0:
            OrderLine.objects.filter(pk=line.pk).update(order=target, ship_to_id=new_ship_to)
            moved.append(
                {
                    "line": line.pk,
                    "new_line": line.pk,
                    "sku": line.sku_id,
                    "quantity": line.quantity,
                }
            )
            continue
        # The line's discount splits with its quantity, so both parts keep the price sold at.
        kept_discount, moved_discount = distribute(
            line.discount_total,
            [line.unit_price * on_hand, line.unit_price * waiting_qty],
            source.currency,
        )
        new_line = OrderLine.objects.create(
            order=target,
            sku_id=line.sku_id,
            quantity=waiting_qty,
            ship_to_id=new_ship_to,
            is_gift=line.is_gift,
            unit_price=line.unit_price,
            discount_total=moved_discount,
            line_total=line.unit_price * waiting_qty - moved_discount,
            inventory_status="backordered",
        )
        LineAllocation.objects.filter(pk__in=[a.pk for a in waiting]).update(line=new_line)
        OrderLine.objects.filter(pk=line.pk).update(
            quantity=on_hand,
            inventory_status="allocated",
            discount_total=kept_discount,
            line_total=line.unit_price * on_hand - kept_discount,
        )
        moved.append(
            {"line": line.pk, "new_line": new_line.pk, "sku": line.sku_id, "quantity": waiting_qty}
        )

    if source.status == S.PENDING:  # still a cart: both carts are priced afresh
        _reprice(source, actor)
        _reprice(target, actor)
    else:
        _carry_prices(source, target, moved)
    _bump_version([source.pk])
    from orders.models import OrderEvent

    OrderEvent.objects.bulk_create(
        [
            _order_event(
                source.pk,
                EventType.BACKORDERS_MOVED_OUT,
                actor,
                {"to_order": target.pk, "lines": moved},
            ),
            _order_event(
                target.pk,
                EventType.BACKORDERS_MOVED_IN,
                actor,
                {"from_order": source.pk, "lines": moved},
            ),
        ]
    )
    if source.status == S.BACKORDERED:
        orders_follow([source.pk], actor=actor)
    target.refresh_from_db()
    return target


def _carry_prices(source, target, moved: list[dict]) -> None:
    """After submit the backorders move at the prices they were sold at, not repriced: the
    customer was quoted (and the card authorized for) the whole order. Lines keep their
    prices and discounts; the shipping charge stays with the source; the tax splits in
    proportion to the goods; the promotion uses stay with the source, counted once."""
    detail = source.pricing_detail or {}
    taxes = detail.get("taxes") or []
    kept_goods, moved_goods = _goods(source), _goods(target)
    tax_kept, tax_moved = distribute(
        source.tax_total, [kept_goods[2], moved_goods[2]], source.currency
    )
    moved_taxes = _split_taxes(taxes, tax_moved, source.currency)
    kept_taxes = [
        {**t, "amount": str(Decimal(str(t["amount"])) - Decimal(m["amount"]))}
        for t, m in zip(taxes, moved_taxes, strict=True)
    ]
    old_lines = detail.get("lines") or {}
    _write_carried(
        source,
        kept_goods,
        shipping=source.shipping_total,
        tax=tax_kept,
        detail={**detail, "taxes": kept_taxes},
        note=f"Backorders moved to order {target.number or target.pk} at the prices sold at.",
    )
    _write_carried(
        target,
        moved_goods,
        shipping=Decimal("0"),
        tax=tax_moved,
        detail={
            "explanation": {},
            "shipping": [],
            "taxes": moved_taxes,
            "lines": {str(m["new_line"]): old_lines.get(str(m["line"]), []) for m in moved},
        },
        note=f"The backorders of order {source.number or source.pk}, at the prices sold at.",
    )


def _goods(order) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, discounts, net) of the order's lines as they stand."""
    from orders.models import OrderLine

    rows = OrderLine.objects.filter(order=order).values_list(
        "unit_price", "quantity", "discount_total", "line_total"
    )
    zero = Decimal("0")
    return (
        sum((price * qty for price, qty, _, _ in rows), zero),
        sum((discount for _, _, discount, _ in rows), zero),
        sum((net for _, _, _, net in rows), zero),
    )


def _write_carried(order, goods, *, shipping, tax, detail: dict, note: str) -> None:
    from orders.models import Order

    gross, discount, _net = goods
    explanation = dict(detail.get("explanation") or {})
    explanation["notes"] = [*(explanation.get("notes") or []), note]
    Order.objects.filter(pk=order.pk).update(
        subtotal=gross,
        discount_total=discount,
        shipping_total=shipping,
        tax_total=tax,
        total=gross - discount + shipping + tax,
        pricing_detail={**detail, "explanation": explanation},
    )


def _split_taxes(taxes: list[dict], amount: Decimal, currency: str) -> list[dict]:
    """The moved part's tax lines: `amount` spread over the source's tax lines by size."""
    if not taxes:
        return []
    shares = distribute(amount, [Decimal(str(t["amount"])) for t in taxes], currency)
    return [{**t, "amount": str(share)} for t, share in zip(taxes, shares, strict=True)]


def _copy_current_payment(source, target) -> None:
    """The new order pays with the same card: a copy of the current payment, to be authorized
    when the backorders ship (the source's authorization stays with the source)."""
    try:
        from orders.models import OrderPayment
    except ImportError:
        return
    current = (
        OrderPayment.objects.filter(order=source)
        .exclude(status__in=["replaced", "voided", "declined", "error"])
        .order_by("-id")
        .first()
    )
    if current is None:
        return
    current.pk = None
    current.id = None
    current.order = target
    current.status = "selected"
    current.authorization_id = ""
    current.avs_code = ""
    current.reason = ""
    current.amount = 0
    current.save()


def _split_number(number: str) -> str:
    from orders.models import Order

    n = 1
    while Order.objects.filter(number=f"{number}-B{n}").exists():
        n += 1
    return f"{number}-B{n}"


# --- stale cart allocations ------------------------------------------------------------------


def allocation_good_for() -> timedelta:
    from fulfillment.models import FulfillmentSettings

    return timedelta(minutes=FulfillmentSettings.current().allocation_good_for_minutes)


def sweep_stale_allocations(
    *, batch_size: int = 2000, progress=None, now=None, max_batches=None
) -> int:
    """ "Find stale order line items": cart lines allocated longer than "allocation good for"
    lose their allocation. Each batch is one transaction; see fulfillment/sweep.py."""
    from fulfillment.sweep import run_sweep

    cutoff = (now or timezone.now()) - allocation_good_for()
    return run_sweep(
        cutoff=cutoff, batch_size=batch_size, progress=progress, max_batches=max_batches
    )


@transaction.atomic
def refresh_cart_allocation(*, order, actor) -> list[str]:
    """When a CSR reopens a cart: re-allocate lines that lost their stock (swept) or whose
    allocation is no longer valid; return what changed, one sentence per line."""
    from catalog.models import SKU

    if order.status != "pending":
        return []
    results = reallocate_invalid_lines(order=order, actor=actor)
    if not results:
        return []
    codes = dict(
        SKU.objects.filter(pk__in=[r.sku_id for r in results.values()]).values_list("pk", "code")
    )
    messages = []
    for r in results.values():
        if r.status == "allocated":
            messages.append(f"{codes[r.sku_id]}: held again ({r.message}).")
        else:
            messages.append(
                f"{codes[r.sku_id]}: only {r.on_hand} of {r.quantity} available now; {r.message}."
            )
    _order_event(
        order.pk, EventType.CART_ALLOCATION_REFRESHED, actor, {"messages": messages}
    ).save()
    return messages

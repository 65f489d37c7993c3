"""Allocation: what each order line holds from stock, expected stock or a backorder.

Works on sets of lines (one order, or one batch of backorders) with a constant number of queries,
so a 30-line order costs the same round trips as one line. The caller (orders) has locked the
lines; this module locks inventory rows then expected rows, each in primary-key order, writes
fulfillment's rows and returns what happened per line. The caller's own writes (the lines'
status, the order's event) are built by the caller from that result (`also_write`) and sent in
the same round trip as inventory's (core.db.execute_together).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from core.db import Statement, bulk_set_statement, execute_together
from fulfillment.inventory import locks
from fulfillment.inventory.db import allocation_statements, delete_allocations_statement
from fulfillment.inventory.selectors import EligibleCenters, LineStock, line_demands
from fulfillment.inventory.stock import stock_freed
from fulfillment.models import AllocationKind, ExpectedInventory, Inventory, LineAllocation

# What a line's allocation comes to (the words are orders' line inventory statuses).
ALLOCATED, BACKORDERED, UNALLOCATED = "allocated", "backordered", "unallocated"


@dataclass
class LineResult:
    """What allocation did for one line, in words a CSR can read."""

    line_id: int
    sku_id: int
    quantity: int
    status: str = UNALLOCATED
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


@dataclass(frozen=True)
class Held:
    """One allocation row given back: which line, what kind, how many."""

    line_id: int
    kind: str
    quantity: int


AlsoWrite = Callable[..., Iterable[Statement | None]]


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
                line_id=line.line_id,
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
                    line_id=line.line_id,
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
                line_id=line.line_id,
                sku_id=sku_id,
                kind=AllocationKind.BACKORDER,
                quantity=remaining,
                allocated_at=now,
            )
        )
    return on_hand, expected, remaining


def _no_center_note(line: LineStock) -> str:
    where = line.ship_to
    method = where.shipping_method_name if where else ""
    place = f"{where.city} {where.region} {where.country}" if where else "this address"
    return (
        f"No fulfillment center ships {method or 'this shipping method'} to {place}; "
        "choose another shipping method."
    )


def _allocate_one(line, need, centers, inv_by_key, exp_by_sku, new_allocs, now) -> LineResult:
    result = LineResult(line.line_id, line.sku_id, line.quantity)
    if not need:  # a service: nothing to hold
        result.status = ALLOCATED
        result.note = "no stock needed"
        return result
    if not centers:
        result.status = UNALLOCATED
        result.note = _no_center_note(line)
        return result
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
        kits_dated = min((p[1] + p[2]) // per[s] for p, (s, _) in zip(parts, need, strict=True))
        result.on_hand = kits_now
        result.expected = kits_dated - kits_now
        result.backorder = line.quantity - kits_dated
    result.status = ALLOCATED if result.on_hand == line.quantity else BACKORDERED
    return result


def allocate_lines(
    lines: list[LineStock],
    *,
    eligible: EligibleCenters | None = None,
    also_write: AlsoWrite | None = None,
) -> dict[int, LineResult]:
    """Allocate these lines (locked by the caller; their order decides who gets scarce stock).

    Releases what the lines held, then allocates from on-hand stock in eligible centers by
    precedence, then against expected inventory (earliest date first), then backorders the rest
    with no date. A kit is allocated as its components and is allocated only when all of them
    are; a service takes no stock. Returns {line_id: LineResult}; for a kit the quantities in
    the result count whole kits. `also_write(results)` returns the caller's statements, written
    with inventory's in one round trip.
    """
    if not lines:
        return {}
    eligible = eligible or EligibleCenters()
    now = timezone.now()
    line_ids = [line.line_id for line in lines]
    demands = line_demands(lines)
    sku_ids = {sku_id for need in demands.values() for sku_id, _ in need}
    center_ids: set[int] = set()
    centers_of: dict[int, list] = {}
    for line in lines:
        centers_of[line.line_id] = (
            eligible.for_ship_to(line.ship_to) if demands[line.line_id] else []
        )
        center_ids.update(c.pk for c in centers_of[line.line_id])

    # what _release_in_memory and the delete need, without a model instance per row
    held, inventory, expected = locks.lock_stock_of_lines(line_ids, sku_ids, center_ids)
    before_inv = {pk: row.allocated for pk, row in inventory.items()}
    before_exp = {pk: row.promised_quantity for pk, row in expected.items()}
    _release_in_memory(held, inventory, expected)

    inv_by_key = {(row.sku_id, row.center_id): row for row in inventory.values()}
    exp_by_sku: dict[int, list[ExpectedInventory]] = defaultdict(list)
    for row in sorted(expected.values(), key=lambda r: (r.expected_date, r.pk)):
        exp_by_sku[row.sku_id].append(row)

    new_allocs: list[LineAllocation] = []
    results = {
        line.line_id: _allocate_one(
            line,
            demands[line.line_id],
            centers_of[line.line_id],
            inv_by_key,
            exp_by_sku,
            new_allocs,
            now,
        )
        for line in lines
    }
    statements = allocation_statements(
        inventory={pk: r.allocated for pk, r in inventory.items() if r.allocated != before_inv[pk]},
        expected={
            pk: r.promised_quantity
            for pk, r in expected.items()
            if r.promised_quantity != before_exp[pk]
        },
        delete_ids=[a.pk for a in held],
        new_allocations=new_allocs,
    )
    execute_together([*statements, *(also_write(results) if also_write else [])])
    return results


def _give_back(held: list, also: Iterable[Statement | None] = ()) -> None:
    """Return what these allocation rows hold to stock (rows locked in key order) and delete
    them; `also` (the caller's statements) goes in the same round trip."""
    inventory = {
        r.pk: r for r in locks.lock_inventory_rows({a.inventory_id for a in held if a.inventory_id})
    }
    expected = {
        r.pk: r for r in locks.lock_expected_rows({a.expected_id for a in held if a.expected_id})
    }
    _release_in_memory(held, inventory, expected)
    execute_together(
        [
            bulk_set_statement(
                Inventory, "allocated", {k: r.allocated for k, r in inventory.items()}
            ),
            bulk_set_statement(
                ExpectedInventory,
                "promised_quantity",
                {k: r.promised_quantity for k, r in expected.items()},
            ),
            delete_allocations_statement([a.pk for a in held]),
            *also,
        ]
    )


def release_lines(line_ids, *, also_write: AlsoWrite | None = None) -> list[Held]:
    """Give back everything these (locked) lines hold and return what they held.
    `also_write(held)` returns the caller's statements, written in the same round trip."""
    held = list(
        LineAllocation.objects.filter(line_id__in=list(line_ids)).values_list(
            "pk", "line_id", "kind", "quantity", "inventory_id", "expected_id", "sku_id", named=True
        )
    )
    given = [Held(a.line_id, a.kind, a.quantity) for a in held]
    also = also_write(given) if also_write else []
    if held:
        _give_back(held, also)
        # stock given back may be what a backorder waits for
        stock_freed({a.sku_id for a in held if a.kind == AllocationKind.ON_HAND and a.sku_id})
    else:
        execute_together(also)
    return given


def release_waiting(line_ids) -> None:
    """Give back what these (locked) lines wait for (expected and undated), keeping their stock
    on hand: the line is trimmed to what is available now."""
    held = list(
        LineAllocation.objects.filter(line_id__in=list(line_ids))
        .exclude(kind=AllocationKind.ON_HAND)
        .values_list("pk", "kind", "quantity", "inventory_id", "expected_id", named=True)
    )
    if held:
        _give_back(held)


def move_waiting(*, from_line_id: int, to_line_id: int) -> None:
    """What a line waits for (expected and undated) now waits for another line (a split)."""
    LineAllocation.objects.filter(line_id=from_line_id).exclude(kind=AllocationKind.ON_HAND).update(
        line_id=to_line_id
    )

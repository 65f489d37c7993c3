"""Inventory's side of the stale-allocation sweep (fulfillment/sweep.py runs it): find the
oldest allocations, delete those of the lines the sweep took, give their stock back."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from core.db import Step, in_step, int_array
from fulfillment.inventory import locks
from fulfillment.models import ExpectedInventory, Inventory, LineAllocation

# Before every allocation: where a sweep starts.
MIN_CURSOR = (datetime(1970, 1, 1, tzinfo=timezone.get_fixed_timezone(0)), 0)

# (line_id, kind, inventory_id, expected_id, quantity, sku_id)
HeldRow = tuple[int, str, int | None, int | None, int, int | None]


def window_step(name: str, *, cutoff, cursor, limit: int) -> Step:
    """The next `limit` allocations older than the cutoff after the cursor (allocated_at, id),
    on the allocation age index: (allocated_at, id, line_id)."""
    return Step(
        name,
        "SELECT allocated_at, id, line_id FROM fulfillment_lineallocation "
        "WHERE allocated_at < %s AND (allocated_at, id) > (%s, %s) "
        "ORDER BY allocated_at, id LIMIT %s",
        [cutoff, cursor[0], cursor[1], limit],
    )


def take_step(name: str, *, lines: str, cutoff) -> Step:
    """Delete the stale allocations of the lines in the step `lines` (a column `id`), returning
    what they held as HeldRow columns. A line's rows are written together by one allocation, so
    they are all stale or all fresh (a cart re-allocated meanwhile keeps its stock)."""
    return Step(
        name,
        "DELETE FROM fulfillment_lineallocation a "
        f"WHERE a.line_id {in_step('id', lines)} AND a.allocated_at < %s "
        "RETURNING a.line_id, a.kind, a.inventory_id, a.expected_id, a.quantity, a.sku_id",
        [cutoff],
    )


def given_back_step(name: str, *, held: str) -> Step:
    """What the step `held` (HeldRow columns) gives back, per inventory or expected row:
    (kind, inventory_id, expected_id, sku_id, quantity); `give_back` takes it."""
    return Step(
        name,
        "SELECT kind, inventory_id, expected_id, sku_id, sum(quantity)::int "
        f"FROM {held} GROUP BY kind, inventory_id, expected_id, sku_id",
    )


def stale_window(*, cutoff, cursor, limit: int) -> tuple[list[int], tuple | None]:
    """window_step through the ORM: (the window's line ids, its last (allocated_at, id)), or
    ([], None) when no stale allocation is left."""
    after_at, after_id = cursor
    window = list(
        LineAllocation.objects.filter(allocated_at__lt=cutoff)
        .filter(Q(allocated_at__gt=after_at) | Q(allocated_at=after_at, id__gt=after_id))
        .order_by("allocated_at", "id")
        .values_list("allocated_at", "id", "line_id")[:limit]
    )
    if not window:
        return [], None
    return sorted({w[2] for w in window}), (window[-1][0], window[-1][1])


def take_stale(*, line_ids, cutoff) -> list[HeldRow]:
    """take_step through the ORM, for these (locked) lines."""
    rows = list(
        LineAllocation.objects.filter(
            line_id__in=list(line_ids), allocated_at__lt=cutoff
        ).values_list("id", "line_id", "kind", "inventory_id", "expected_id", "quantity", "sku_id")
    )
    LineAllocation.objects.filter(pk__in=[r[0] for r in rows]).delete()
    return [r[1:] for r in rows]


def give_back(given) -> set[int]:
    """Give back the rows of `given_back_step` (kind, inventory_id, expected_id, sku_id,
    quantity): the inventory and expected rows every cart shares, locked in primary-key order,
    one UPDATE each. Returns the SKUs whose on-hand stock was freed."""
    inv: dict[int, int] = defaultdict(int)
    exp: dict[int, int] = defaultdict(int)
    freed: set[int] = set()
    for kind, inventory_id, expected_id, sku_id, quantity in given:
        if kind == "on_hand":
            inv[inventory_id] += quantity
            freed.add(sku_id)
        elif kind == "expected":
            exp[expected_id] += quantity
    if connection.vendor == "postgresql":
        _give_back_postgres(inv, exp)
    else:
        _give_back_orm(inv, exp)
    return freed


def _give_back_postgres(inv: dict[int, int], exp: dict[int, int]) -> None:
    with connection.cursor() as cur:
        if inv:
            ids = sorted(inv)
            cur.execute(
                "SELECT id FROM fulfillment_inventory WHERE id = ANY(%s::bigint[]) "
                "ORDER BY id FOR UPDATE",
                [int_array(ids)],
            )
            cur.execute(
                "UPDATE fulfillment_inventory i SET allocated = i.allocated - v.q "
                "FROM unnest(%s::bigint[], %s::int[]) AS v(id, q) WHERE i.id = v.id",
                [int_array(ids), int_array(inv[i] for i in ids)],
            )
        if exp:
            ids = sorted(exp)
            cur.execute(
                "SELECT id FROM fulfillment_expectedinventory WHERE id = ANY(%s::bigint[]) "
                "ORDER BY id FOR UPDATE",
                [int_array(ids)],
            )
            cur.execute(
                "UPDATE fulfillment_expectedinventory e "
                "SET promised_quantity = GREATEST(0, e.promised_quantity - v.q) "
                "FROM unnest(%s::bigint[], %s::int[]) AS v(id, q) WHERE e.id = v.id",
                [int_array(ids), int_array(exp[i] for i in ids)],
            )


def _give_back_orm(inv: dict[int, int], exp: dict[int, int]) -> None:
    rows = locks.lock_inventory_rows(inv)
    for row in rows:
        row.allocated -= inv[row.pk]
    Inventory.objects.bulk_update(rows, ["allocated"], batch_size=500)
    erows = locks.lock_expected_rows(exp)
    for row in erows:
        row.promised_quantity = max(0, row.promised_quantity - exp[row.pk])
    ExpectedInventory.objects.bulk_update(erows, ["promised_quantity"], batch_size=500)

"""The stale-allocation sweep ("Find stale order line items"), set-based and in batches.

Each batch is one transaction:
1. take up to `batch_size` cart lines (order pending) that hold an allocation older than the
   cutoff, walking the allocation age index with a per-worker cursor, and lock them
   `FOR UPDATE SKIP LOCKED`: two workers never take the same line, and a CSR editing a cart
   is skipped rather than waited for;
2. delete their stale allocation rows, keeping what they held (on PostgreSQL steps 1 and 2 are
   one statement: a window the other worker holds costs a scan, not a trip through Python);
3. mark lines with nothing left `unallocated`, and write one order event per order;
4. last (the rows every cart shares, so their locks are held briefly): give the stock back,
   inventory rows then expected rows, locked in primary-key order, one UPDATE each.
A worker killed in the middle of a batch rolls the whole batch back: every line is either
swept or untouched.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from django.db import OperationalError, connection, transaction
from django.db.models import Q

from core.events import EventType

MIN_CURSOR = (datetime(1970, 1, 1), 0)


# Steps 1 and 2 on PostgreSQL. The order's status is read per line by its primary key: a join
# would hash all orders on every batch. The cursor is the window's last (allocated_at, id),
# returned even when every line in it was skipped.
TAKE_BATCH_SQL = """
WITH win AS (
    SELECT allocated_at, id, line_id FROM fulfillment_lineallocation
    WHERE allocated_at < %(cutoff)s AND (allocated_at, id) > (%(after_at)s, %(after_id)s)
    ORDER BY allocated_at, id LIMIT %(limit)s
), locked AS (
    SELECT l.id, l.order_id FROM orders_orderline l
    WHERE l.id IN (SELECT line_id FROM win)
      AND (SELECT o.status FROM orders_order o WHERE o.id = l.order_id) = 'pending'
    ORDER BY l.id FOR UPDATE OF l SKIP LOCKED
), held AS (
    DELETE FROM fulfillment_lineallocation a USING locked
    WHERE a.line_id = locked.id AND a.allocated_at < %(cutoff)s
    RETURNING a.line_id, a.kind, a.inventory_id, a.expected_id, a.quantity, a.sku_id,
              locked.order_id
), last AS (
    SELECT allocated_at, id FROM win ORDER BY allocated_at DESC, id DESC LIMIT 1
)
SELECT last.allocated_at, last.id, held.* FROM last LEFT JOIN held ON true
"""


def _take_batch_postgres(*, cutoff, cursor, batch_size):
    """Returns (held rows as (line_id, kind, inventory_id, expected_id, quantity, sku_id,
    order_id), new cursor or None when no stale allocation is left)."""
    with connection.cursor() as cur:
        cur.execute(
            TAKE_BATCH_SQL,
            {"cutoff": cutoff, "after_at": cursor[0], "after_id": cursor[1], "limit": batch_size},
        )
        rows = cur.fetchall()
    if not rows:
        return [], None
    return [r[2:] for r in rows if r[2] is not None], (rows[0][0], rows[0][1])


def _pick_lines(*, cutoff, cursor, batch_size):
    """Lock the next batch of stale cart lines; returns (lines[(id, order_id)], new cursor)."""
    from fulfillment.models import LineAllocation
    from orders.models import OrderLine

    after_at, after_id = cursor
    window = list(
        LineAllocation.objects.filter(allocated_at__lt=cutoff)
        .filter(Q(allocated_at__gt=after_at) | Q(allocated_at=after_at, id__gt=after_id))
        .order_by("allocated_at", "id")
        .values_list("allocated_at", "id", "line_id")[:batch_size]
    )
    if not window:
        return [], None
    new_cursor = (window[-1][0], window[-1][1])
    lines = list(
        OrderLine.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in={w[2] for w in window}, order__status="pending")
        .order_by("pk")
        .values_list("pk", "order_id")
    )
    return lines, new_cursor


def _take_batch_orm(*, cutoff, cursor, batch_size):
    """Steps 1 and 2 with the ORM (SQLite); the same result as _take_batch_postgres."""
    from fulfillment.models import LineAllocation

    lines, new_cursor = _pick_lines(cutoff=cutoff, cursor=cursor, batch_size=batch_size)
    if not lines:
        return [], new_cursor
    order_of = dict(lines)
    rows = list(
        LineAllocation.objects.filter(
            line_id__in=list(order_of), allocated_at__lt=cutoff
        ).values_list("id", "line_id", "kind", "inventory_id", "expected_id", "quantity", "sku_id")
    )
    LineAllocation.objects.filter(pk__in=[r[0] for r in rows]).delete()
    return [(*r[1:], order_of[r[1]]) for r in rows], new_cursor


def _mark_lines_and_audit(swept_lines, released: dict, cutoff) -> None:
    from orders.models import OrderEvent, OrderLine

    event = int(EventType.STALE_ALLOCATIONS_RELEASED)
    if connection.vendor == "postgresql":
        order_ids = sorted(released)
        payloads = [
            json.dumps({"cutoff": cutoff.isoformat(), "released": released[o]}) for o in order_ids
        ]
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE orders_orderline SET inventory_status = 'unallocated' WHERE id = ANY(%s)",
                [sorted(swept_lines)],
            )
            cur.execute(
                "INSERT INTO orders_orderevent (event_type, actor_id, occurred_at, data, order_id) "
                "SELECT %s, NULL, now(), v.data, v.order_id "
                "FROM unnest(%s::bigint[], %s::jsonb[]) AS v(order_id, data)",
                [event, order_ids, payloads],
            )
        return
    OrderLine.objects.filter(pk__in=swept_lines).update(inventory_status="unallocated")
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order_id=order_id,
                event_type=event,
                data={"cutoff": cutoff.isoformat(), "released": rows},
            )
            for order_id, rows in released.items()
        ],
        batch_size=1000,
    )


def _give_back_postgres(inv: dict[int, int], exp: dict[int, int]) -> None:
    with connection.cursor() as cur:
        if inv:
            ids = sorted(inv)
            cur.execute(
                "SELECT id FROM fulfillment_inventory WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                [ids],
            )
            cur.execute(
                "UPDATE fulfillment_inventory i SET allocated = i.allocated - v.q "
                "FROM unnest(%s::bigint[], %s::int[]) AS v(id, q) WHERE i.id = v.id",
                [ids, [inv[i] for i in ids]],
            )
        if exp:
            ids = sorted(exp)
            cur.execute(
                "SELECT id FROM fulfillment_expectedinventory WHERE id = ANY(%s) "
                "ORDER BY id FOR UPDATE",
                [ids],
            )
            cur.execute(
                "UPDATE fulfillment_expectedinventory e "
                "SET promised_quantity = GREATEST(0, e.promised_quantity - v.q) "
                "FROM unnest(%s::bigint[], %s::int[]) AS v(id, q) WHERE e.id = v.id",
                [ids, [exp[i] for i in ids]],
            )


def _give_back_orm(inv: dict[int, int], exp: dict[int, int]) -> None:
    from fulfillment import locks
    from fulfillment.models import ExpectedInventory, Inventory

    rows = locks.lock_inventory_rows(inv)
    for row in rows:
        row.allocated -= inv[row.pk]
    Inventory.objects.bulk_update(rows, ["allocated"], batch_size=500)
    erows = locks.lock_expected_rows(exp)
    for row in erows:
        row.promised_quantity = max(0, row.promised_quantity - exp[row.pk])
    ExpectedInventory.objects.bulk_update(erows, ["promised_quantity"], batch_size=500)


def sweep_batch(
    *, cutoff, cursor, batch_size: int, freed_skus: set | None = None
) -> tuple[int, tuple | None]:
    """One transaction. Returns (lines swept, cursor for the next batch or None when done);
    adds the SKUs whose stock it gave back to `freed_skus`."""
    freed_skus = set() if freed_skus is None else freed_skus
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A batch lost in a crash right after commit is simply swept again by the next run
            # (the job is idempotent), so the sweep need not wait for each WAL flush.
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit TO OFF")
        take = _take_batch_postgres if connection.vendor == "postgresql" else _take_batch_orm
        # A line's rows are written together by one allocation, so they are all stale or all
        # fresh (a cart re-allocated meanwhile keeps its stock).
        held, new_cursor = take(cutoff=cutoff, cursor=cursor, batch_size=batch_size)
        if not held:
            return 0, new_cursor
        inv: dict[int, int] = defaultdict(int)
        exp: dict[int, int] = defaultdict(int)
        released: dict[int, list] = defaultdict(list)
        for line_id, kind, inventory_id, expected_id, quantity, sku_id, order_id in held:
            if kind == "on_hand":
                inv[inventory_id] += quantity
                freed_skus.add(sku_id)
            elif kind == "expected":
                exp[expected_id] += quantity
            released[order_id].append([line_id, kind, quantity])
        swept_lines = {h[0] for h in held}
        _mark_lines_and_audit(swept_lines, released, cutoff)
        # last: the inventory rows are shared by every cart, hold their locks briefly
        if connection.vendor == "postgresql":
            _give_back_postgres(inv, exp)
        else:
            _give_back_orm(inv, exp)
        return len(swept_lines), new_cursor


def run_sweep(*, cutoff, batch_size: int = 2000, progress=None, max_batches=None) -> int:
    """Sweep until no stale cart line is left (or `max_batches`). Returns lines swept."""
    cursor = MIN_CURSOR
    if cursor[0].tzinfo is None:
        from django.utils import timezone

        cursor = (timezone.make_aware(cursor[0], timezone.get_fixed_timezone(0)), 0)
    total = 0
    batches = 0
    freed: set[int] = set()
    while cursor is not None:
        for attempt in range(3):
            try:
                swept, cursor = sweep_batch(
                    cutoff=cutoff, cursor=cursor, batch_size=batch_size, freed_skus=freed
                )
                break
            except OperationalError:  # a deadlock victim: the batch rolled back, try it again
                if attempt == 2:
                    raise
        total += swept
        batches += 1
        if progress and swept:
            progress(total)
        if max_batches and batches >= max_batches:
            break
    freed.discard(None)
    if freed:  # stock released from stale carts may be what a backorder waits for
        from fulfillment.services import _enqueue_backorder_allocation

        with transaction.atomic():
            _enqueue_backorder_allocation(freed)
    return total

"""The stale-allocation sweep ("Find stale order line items"), set-based and in batches.

Each batch is one transaction:
1. inventory finds the next `batch_size` allocations older than the cutoff, walking the
   allocation age index with a per-worker cursor;
2. orders locks their lines that are cart lines (order pending) `FOR UPDATE SKIP LOCKED`: two
   workers never take the same line, and a CSR editing a cart is skipped rather than waited for;
3. inventory deletes the stale allocation rows of the locked lines, returning what they held
   (on PostgreSQL steps 1-3 are one statement, each part's SQL written by its owner);
4. orders marks those lines `unallocated` and writes one order event per order;
5. last (the rows every cart shares, so their locks are held briefly): inventory gives the
   stock back, inventory rows then expected rows, locked in primary-key order, one UPDATE each.
A worker killed in the middle of a batch rolls the whole batch back: every line is either
swept or untouched.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from core.jobs import loaded_objects_out_of_gc
from fulfillment.inventory import sweep as inventory_sweep
from fulfillment.inventory.stock import stock_freed
from fulfillment.models import FulfillmentSettings
from orders import allocation as orders_allocation

MIN_CURSOR = inventory_sweep.MIN_CURSOR


def allocation_good_for() -> timedelta:
    return timedelta(minutes=FulfillmentSettings.current().allocation_good_for_minutes)


def sweep_stale_allocations(
    *, batch_size: int = 2000, progress=None, now=None, max_batches=None
) -> int:
    """ "Find stale order line items": cart lines allocated longer than "allocation good for"
    lose their allocation. Each batch is one transaction."""
    cutoff = (now or timezone.now()) - allocation_good_for()
    return run_sweep(
        cutoff=cutoff, batch_size=batch_size, progress=progress, max_batches=max_batches
    )


# Steps 1-3 in one statement on PostgreSQL, each part's SQL from its owner: a window the other
# worker holds costs a scan, not a trip through Python. The cursor is the window's last
# (allocated_at, id), returned even when every line in it was skipped; its time on one row only
# (psycopg reads a timestamp in Python: on every row it cost more than the rest of the batch's
# Python work).
TAKE_BATCH_SQL = f"""
WITH win AS ({inventory_sweep.WINDOW_SQL}),
locked AS ({orders_allocation.LOCK_CART_LINES_SQL.format(line_ids="SELECT line_id FROM win")}),
held AS ({inventory_sweep.TAKE_SQL.format(lines="locked")}),
last AS (SELECT allocated_at, id FROM win ORDER BY allocated_at DESC, id DESC LIMIT 1)
SELECT CASE WHEN row_number() OVER () = 1 THEN last.allocated_at END, last.id, held.*,
       locked.order_id
FROM last LEFT JOIN (held JOIN locked ON locked.id = held.line_id) ON true
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
    last = next(r for r in rows if r[0] is not None)
    return [r[2:] for r in rows if r[2] is not None], (last[0], last[1])


def _take_batch_orm(*, cutoff, cursor, batch_size):
    """Steps 1-3 through the ORM (SQLite); the same result as _take_batch_postgres."""
    window, new_cursor = inventory_sweep.stale_window(
        cutoff=cutoff, cursor=cursor, limit=batch_size
    )
    order_of = orders_allocation.lock_cart_lines_skip_locked(window)
    held = inventory_sweep.take_stale(line_ids=list(order_of), cutoff=cutoff)
    return [(*row, order_of[row[0]]) for row in held], new_cursor


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
        orders_allocation.mark_swept(released=released, line_ids=swept_lines, cutoff=cutoff)
        # last: the inventory rows are shared by every cart, hold their locks briefly
        inventory_sweep.give_back(inv, exp)
        return len(swept_lines), new_cursor


def run_sweep(*, cutoff, batch_size: int = 2000, progress=None, max_batches=None) -> int:
    """Sweep until no stale cart line is left (or `max_batches`). Returns lines swept."""
    with loaded_objects_out_of_gc():
        return _sweep_batches(cutoff, batch_size, progress, max_batches)


def _sweep_batches(cutoff, batch_size, progress, max_batches) -> int:
    cursor = MIN_CURSOR
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
    with transaction.atomic():  # stock released from stale carts may be what a backorder waits for
        stock_freed(freed)
    return total

"""The stale-allocation sweep ("Find stale order line items"), set-based and in batches.

Each batch is one transaction:
1. inventory finds the next `batch_size` allocations older than the cutoff, walking the
   allocation age index with a per-worker cursor;
2. orders locks their lines that are cart lines (order pending) `FOR UPDATE SKIP LOCKED`: two
   workers never take the same line, and a CSR editing a cart is skipped rather than waited for;
3. inventory deletes the stale allocation rows of the locked lines, returning what they held;
4. orders marks those lines `unallocated` and writes one order event per order;
   on PostgreSQL steps 1-4 are one statement (core.db.run_steps), each step built by its owner;
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

from core.db import run_steps
from core.jobs import loaded_objects_out_of_gc
from fulfillment.inventory import sweep as inventory_sweep
from fulfillment.inventory.stock import stock_freed
from fulfillment.models import FulfillmentSettings
from orders import allocation as orders_allocation

MIN_CURSOR = inventory_sweep.MIN_CURSOR

# A batch of 5,000 lines holds its locks about 0.1 s here. Batches of 2,000 pay the per-batch
# plan and commit 2.5 times as often: 200,000 stale lines took 5.4 and 5.8 s, against 4.6-5.5 s.
BATCH_SIZE = 5000


def allocation_good_for() -> timedelta:
    return timedelta(minutes=FulfillmentSettings.current().allocation_good_for_minutes)


def sweep_stale_allocations(
    *, batch_size: int = BATCH_SIZE, progress=None, now=None, max_batches=None
) -> int:
    """ "Find stale order line items": cart lines allocated longer than "allocation good for"
    lose their allocation. Each batch is one transaction."""
    cutoff = (now or timezone.now()) - allocation_good_for()
    return run_sweep(
        cutoff=cutoff, batch_size=batch_size, progress=progress, max_batches=max_batches
    )


def _sweep_postgres(*, cutoff, cursor, batch_size):
    """Steps 1-4 as one statement, each step's SQL from its owner: a window the other worker
    holds costs a scan, and a batch's lines, allocations and events never pass through Python.
    Returns (lines swept, what to give back, the cursor: the window's last (allocated_at, id),
    also when every line in it was skipped; None when no stale allocation is left)."""
    rows = run_steps(
        [
            inventory_sweep.window_step("win", cutoff=cutoff, cursor=cursor, limit=batch_size),
            orders_allocation.lock_cart_lines_step("locked", line_ids="SELECT line_id FROM win"),
            inventory_sweep.take_step("held", lines="locked", cutoff=cutoff),
            *orders_allocation.mark_swept_steps(held="held", locked="locked", cutoff=cutoff),
            inventory_sweep.given_back_step("given", held="held"),
        ],
        # the first row (kind NULL): the cursor and the lines swept; then what to give back
        """SELECT NULL, NULL::bigint, NULL::bigint, NULL::bigint, NULL::int, allocated_at, id,
                  (SELECT count(DISTINCT line_id) FROM held)
           FROM (SELECT allocated_at, id FROM win ORDER BY allocated_at DESC, id DESC LIMIT 1) last
           UNION ALL SELECT *, NULL, NULL, NULL FROM given""",
    )
    last = next((row for row in rows if row[0] is None), None)
    if last is None:
        return 0, [], None
    return last[7], [row[:5] for row in rows if row[0] is not None], (last[5], last[6])


def _sweep_orm(*, cutoff, cursor, batch_size):
    """_sweep_postgres through the ORM (SQLite), step by step; the same result."""
    window, new_cursor = inventory_sweep.stale_window(
        cutoff=cutoff, cursor=cursor, limit=batch_size
    )
    order_of = orders_allocation.lock_cart_lines_skip_locked(window)
    held = sorted(inventory_sweep.take_stale(line_ids=list(order_of), cutoff=cutoff))
    released: dict[int, list] = defaultdict(list)
    for line_id, kind, _, _, quantity, _ in held:
        released[order_of[line_id]].append([line_id, kind, quantity])
    if released:
        orders_allocation.mark_swept(released=released, cutoff=cutoff)
    given = [(kind, inv, exp, sku, quantity) for _, kind, inv, exp, quantity, sku in held]
    return len({row[0] for row in held}), given, new_cursor


def sweep_batch(
    *, cutoff, cursor, batch_size: int, freed_skus: set | None = None
) -> tuple[int, tuple | None]:
    """One transaction. Returns (lines swept, cursor for the next batch or None when done);
    adds the SKUs whose stock it gave back to `freed_skus`."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A batch lost in a crash right after commit is simply swept again by the next run
            # (the job is idempotent), so the sweep need not wait for each WAL flush.
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit TO OFF")
            sweep = _sweep_postgres
        else:
            sweep = _sweep_orm
        swept, given, new_cursor = sweep(cutoff=cutoff, cursor=cursor, batch_size=batch_size)
        if swept:
            # last: the inventory rows are shared by every cart, hold their locks briefly
            freed = inventory_sweep.give_back(given)
            if freed_skus is not None:
                freed_skus |= freed
        return swept, new_cursor


def run_sweep(*, cutoff, batch_size: int = BATCH_SIZE, progress=None, max_batches=None) -> int:
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

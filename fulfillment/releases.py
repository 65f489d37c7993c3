"""The release job ("Time to release orders for store"): accepted orders -> releases.

An order is taken when its payment is authorized (status `authorized`, `backordered` with a
choice that ships what is available, or `released` with lines allocated since) and it has lines
`allocated`. Ship-complete orders are taken only when every active line is allocated; the other
ATP choices release what is allocated now, and the rest follows in a later run.

One release per (fulfillment center, shipping method, ship-to) of the order; a line held in two
centers gets a release line in each. Fulfillment writes the releases; orders
(`orders.status.mark_orders_released`) moves the lines `allocated -> released` and the order to
`released`, with one status event (or ORDER_RELEASED, released already) per order.

Batches, each ONE transaction (like the stale sweep):
1. the next `batch_size` candidate orders after this worker's cursor (order id), locked
   `FOR UPDATE SKIP LOCKED`: two workers never take the same order, and an order a CSR is
   canceling right now is skipped (it locks the same row) and seen by the next run;
2. re-read their lines under that lock (status checked again: a run twice releases nothing
   twice), build the releases in memory, write them with bulk statements (orders' writes too:
   the same few statements whatever the batch size).
A worker killed halfway rolls its batch back: every order is released whole or not at all. The
unique constraints (`Release(order, sequence)`, `ReleaseLine(line, center)`) back this up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction
from django.db.models import Max

from core.db import int_array, text_array
from core.jobs import loaded_objects_out_of_gc
from fulfillment.inventory import selectors as inventory_selectors
from fulfillment.models import Release, ReleaseLine
from orders import selectors as order_selectors
from orders.status import ReleasedOrder, mark_orders_released

ACTIVE_LINE_STATES = ("unallocated", "allocated", "backordered")


class _DryRun(Exception):
    pass


@dataclass
class ReleaseCounts:
    orders: int = 0
    releases: int = 0
    lines: int = 0
    skipped_ship_complete: int = 0
    release_ids: list[int] = field(default_factory=list)

    def add(self, other: ReleaseCounts) -> None:
        self.orders += other.orders
        self.releases += other.releases
        self.lines += other.lines
        self.skipped_ship_complete += other.skipped_ship_complete

    def as_dict(self) -> dict:
        return {
            "orders": self.orders,
            "releases": self.releases,
            "lines": self.lines,
            "skipped_ship_complete": self.skipped_ship_complete,
        }


def release_batch(*, after_id: int, batch_size: int, actor=None, dry_run=False):
    """One transaction. Returns (counts, next cursor or None when no candidate is left)."""
    counts = ReleaseCounts()
    ids = order_selectors.releasable_order_ids(after_id=after_id, limit=batch_size)
    if not ids:
        return counts, None
    try:
        with transaction.atomic():
            _tune_batch_transaction()
            orders = order_selectors.lock_releasable_orders(ids)
            plan = _plan_releases(orders, counts)
            if plan.releases:
                write = _write_postgres if connection.vendor == "postgresql" else _write_orm
                counts.release_ids = write(plan.releases, plan.lines)
                mark_orders_released(plan.released, actor=actor)
                if dry_run:
                    raise _DryRun
    except _DryRun:
        counts.release_ids = []
    return counts, ids[-1]


def _tune_batch_transaction() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        # A crash right after commit loses nothing the next run does not redo; and the batch's
        # reads are index lookups by key on cached pages, which the default page cost (a
        # spinning disk's) would price above hashing a whole table per batch.
        cur.execute("SET LOCAL synchronous_commit TO OFF; SET LOCAL random_page_cost = 1.1")


@dataclass
class _Plan:
    """A batch's releases, built in memory before one bulk write."""

    # (number, order_id, sequence, center_id, shipping_method_id, ship_to_id)
    releases: list[tuple] = field(default_factory=list)
    # (index into releases, line_id, center_id, sku_id, quantity)
    lines: list[tuple] = field(default_factory=list)
    released: list[ReleasedOrder] = field(default_factory=list)

    def add_order(
        self, order_id: int, number: str | None, last_sequence: int, groups: dict[tuple, list]
    ) -> list[str]:
        """One release per group (numbered on from the order's last release); their numbers."""
        numbers = []
        for seq, ((center, method, ship_to), members) in enumerate(
            groups.items(), start=last_sequence + 1
        ):
            release_number = f"{number or order_id}-R{seq}"
            index = len(self.releases)
            self.releases.append((release_number, order_id, seq, center, method, ship_to))
            self.lines.extend((index, x[0], center, x[2], qty) for x, qty in members)
            numbers.append(release_number)
        return numbers


def _plan_releases(orders: list[tuple], counts: ReleaseCounts) -> _Plan:
    """The releases of these locked orders (id, number, status, atp_choice), from their lines
    read again under the lock (a run twice releases nothing twice). Counts what it takes."""
    plan = _Plan()
    if not orders:
        return plan
    order_ids = [o[0] for o in orders]
    # Each read walks an index from the batch's keys: a join here would make the planner hash
    # every address and allocation row, on every batch.
    lines = order_selectors.release_lines(order_ids)
    held = _HeldStock([x for x in lines if x[4] == "allocated"])
    last_sequences = _last_sequences(order_ids)
    by_order: dict[int, list[tuple]] = defaultdict(list)
    for x in lines:
        by_order[x[1]].append(x)
    for order_id, number, status, atp in orders:
        olines = by_order[order_id]
        ready = [x for x in olines if x[4] == "allocated"]
        if not ready:
            continue
        if atp == "ship_complete" and any(
            x[4] != "allocated" for x in olines if x[4] in ACTIVE_LINE_STATES
        ):
            counts.skipped_ship_complete += 1
            continue
        numbers = plan.add_order(
            order_id, number, last_sequences.get(order_id, 0), held.shipments(ready)
        )
        plan.released.append(ReleasedOrder(order_id, status, {x[0]: x[4] for x in ready}, numbers))
        counts.orders += 1
        counts.lines += len(ready)
    counts.releases = len(plan.releases)
    return plan


class _HeldStock:
    """Where the allocated lines of a batch are held: {line id: {center id: units}}."""

    def __init__(self, allocated: list[tuple]):
        line_sku = {x[0]: x[2] for x in allocated}
        self.centers: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.kits: set[int] = set()  # lines held as components (their units are not the line's)
        for line_id, center_id, sku_id, quantity in inventory_selectors.on_hand_held(
            line_ids=list(line_sku)
        ):
            self.centers[line_id][center_id] += quantity
            if sku_id != line_sku[line_id]:
                self.kits.add(line_id)

    def shipments(self, ready: list[tuple]) -> dict[tuple, list[tuple]]:
        """An order's ready lines grouped by (center, shipping method, ship-to), each member a
        (line, quantity) pair: a line held in two centers is in two groups."""
        groups: dict[tuple, list[tuple]] = {}
        services = []
        for x in ready:
            held = self.centers.get(x[0])
            if not held:
                services.append(x)
                continue
            for center, qty in self._parts(x, held):
                groups.setdefault((center, x[6], x[5]), []).append((x, qty))
        for x in services:  # no stock to pick: ride along with the same ship-to
            key = next((k for k in groups if k[2] == x[5]), (None, x[6], x[5]))
            groups.setdefault(key, []).append((x, x[3]))
        return groups

    def _parts(self, x: tuple, held: dict[int, int]) -> list[tuple[int, int]]:
        if len(held) == 1 or x[0] in self.kits:
            # one center, or a kit held in several: pick where most of it is
            return [(max(held, key=lambda c: (held[c], -c)), x[3])]
        return _split(x[3], held)


def _last_sequences(order_ids: list[int]) -> dict[int, int]:
    """The sequence of each order's last release, for the orders released before."""
    if connection.vendor != "postgresql":
        return dict(
            Release.objects.filter(order_id__in=order_ids)
            .values("order_id")
            .annotate(m=Max("sequence"))
            .values_list("order_id", "m")
        )
    with connection.cursor() as cur:
        # One probe of fulfillment_release_seq per order, whatever the statistics say: planned
        # as `order_id = ANY(...)` on a table that grew since it was last analyzed, it was a
        # scan of every release on every batch.
        cur.execute(
            "SELECT o.id, (SELECT max(r.sequence) FROM fulfillment_release r "
            "WHERE r.order_id = o.id) FROM unnest(%s::bigint[]) AS o(id)",
            [int_array(order_ids)],
        )
        return {order_id: last for order_id, last in cur.fetchall() if last is not None}


def _write_orm(releases, release_lines) -> list[int]:
    rows = [
        Release(number=n, order_id=o, sequence=q, center_id=c, shipping_method_id=m, ship_to_id=t)
        for n, o, q, c, m, t in releases
    ]
    Release.objects.bulk_create(rows, batch_size=2000)
    ReleaseLine.objects.bulk_create(
        [
            ReleaseLine(release_id=rows[i].pk, line_id=li, center_id=c, sku_id=k, quantity=q)
            for i, li, c, k, q in release_lines
        ],
        batch_size=2000,
    )
    return [r.pk for r in rows]


def _write_postgres(releases, release_lines) -> list[int]:
    """The same writes as _write_orm in two statements from arrays (no model instances)."""
    numbers, *ids = zip(*releases, strict=True)
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO fulfillment_release "
            "(number, order_id, sequence, center_id, shipping_method_id, ship_to_id, status, "
            "created_at) "
            "SELECT v.n, v.o, v.q, v.c, v.m, v.t, 'released', now() FROM unnest("
            "%s::text[], %s::bigint[], %s::int[], %s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS v(n, o, q, c, m, t) RETURNING id, number",
            [text_array(numbers), *map(int_array, ids)],
        )
        id_of = dict((number, pk) for pk, number in cur.fetchall())
        release_ids = [id_of[n] for n in numbers]
        indexes, *lcols = zip(*release_lines, strict=True)
        cur.execute(
            "INSERT INTO fulfillment_releaseline "
            "(release_id, line_id, center_id, sku_id, quantity, shipped_quantity) "
            "SELECT v.r, v.l, v.c, v.s, v.q, 0 FROM unnest("
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::int[]) "
            "AS v(r, l, c, s, q)",
            [int_array([release_ids[i] for i in indexes]), *map(int_array, lcols)],
        )
    return release_ids


def _split(quantity: int, held: dict[int, int]) -> list[tuple[int, int]]:
    """A plain line held in several centers: each center ships what it holds for it."""
    parts = []
    left = quantity
    for center in sorted(held):
        take = min(held[center], left)
        if take > 0:
            parts.append((center, take))
            left -= take
    if left > 0 and parts:  # should not happen (allocated means held in full)
        parts[-1] = (parts[-1][0], parts[-1][1] + left)
    return parts


def run_release(
    *, batch_size: int = 500, actor=None, dry_run: bool = False, progress=None, max_batches=None
) -> ReleaseCounts:
    """Release every releasable order (or `max_batches` batches). Safe to run on many workers."""
    with loaded_objects_out_of_gc():
        return _release_batches(batch_size, actor, dry_run, progress, max_batches)


def _release_batches(batch_size, actor, dry_run, progress, max_batches) -> ReleaseCounts:
    total = ReleaseCounts()
    cursor: int | None = 0
    batches = 0
    while cursor is not None:
        for attempt in range(3):
            try:
                counts, next_cursor = release_batch(
                    after_id=cursor, batch_size=batch_size, actor=actor, dry_run=dry_run
                )
                break
            except OperationalError:  # a deadlock victim: the batch rolled back, retry it
                if attempt == 2:
                    raise
        cursor = next_cursor
        total.add(counts)
        total.release_ids.extend(counts.release_ids)
        batches += 1
        if progress and counts.orders:
            progress(total)
        if max_batches and batches >= max_batches:
            break
    return total

"""The release job ("Time to release orders for store"): accepted orders -> releases.

An order is taken when its payment is authorized (status `authorized`, `backordered` with a
choice that ships what is available, or `released` with lines allocated since) and it has lines
`allocated`. Ship-complete orders are taken only when every active line is allocated; the other
ATP choices release what is allocated now, and the rest follows in a later run.

One release per (fulfillment center, shipping method, ship-to) of the order; a line held in two
centers gets a release line in each. Lines move `allocated -> released`, the order moves to
`released`, with one status event and one ORDER_RELEASED event per order.

Batches, each ONE transaction (like the stale sweep):
1. the next `batch_size` candidate orders after this worker's cursor (order id), locked
   `FOR UPDATE SKIP LOCKED`: two workers never take the same order, and an order a CSR is
   canceling right now is skipped (it locks the same row) and seen by the next run;
2. re-read their lines under that lock (status checked again: a run twice releases nothing
   twice), build the releases in memory, write them with bulk statements.
A worker killed halfway rolls its batch back: every order is released whole or not at all. The
unique constraints (`Release(order, sequence)`, `ReleaseLine(line, center)`) back this up.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Subquery
from django.utils import timezone

from core.events import EventType

RELEASABLE_ORDER_STATES = ("authorized", "backordered", "released")
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


def _candidate_ids(after_id: int, batch_size: int) -> list[int]:
    """The next orders after the cursor with a line allocated (walking orders by key from the
    cursor, each asked about its lines by key)."""
    from orders.models import Order, OrderLine

    allocated = OrderLine.objects.filter(
        order_id=OuterRef("pk"),
        order_id__gt=after_id,  # said again here so that a merge join starts at the cursor
        inventory_status="allocated",
    )
    return list(
        Order.objects.filter(pk__gt=after_id, status__in=RELEASABLE_ORDER_STATES)
        .filter(Exists(allocated))
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )


def _lock_orders(ids: list[int]) -> list[tuple]:
    from orders.models import Order

    return list(
        Order.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=ids, status__in=RELEASABLE_ORDER_STATES)
        .order_by("pk")
        .values_list("pk", "number", "status", "atp_choice")
    )


def release_batch(*, after_id: int, batch_size: int, actor=None, dry_run=False):
    """One transaction. Returns (counts, next cursor or None when no candidate is left)."""
    from fulfillment.models import LineAllocation, Release
    from orders.models import OrderAddress, OrderLine
    from orders.workflow import check_line_transition, check_order_transition

    counts = ReleaseCounts()
    ids = _candidate_ids(after_id, batch_size)
    if not ids:
        return counts, None
    cursor = ids[-1]
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    # A crash right after commit loses nothing the next run does not redo; and
                    # the batch's reads are index lookups by key on cached pages, which the
                    # default page cost (a spinning disk's) would price above hashing a whole
                    # table per batch.
                    cur.execute(
                        "SET LOCAL synchronous_commit TO OFF; SET LOCAL random_page_cost = 1.1"
                    )
            orders = _lock_orders(ids)
            if not orders:
                return counts, cursor
            order_info = {o[0]: o for o in orders}
            # Each read walks an index from the batch's keys: a join here would make the
            # planner hash every address and allocation row, on every batch.
            method = OrderAddress.objects.filter(pk=OuterRef("ship_to_id"))
            lines = list(
                OrderLine.objects.filter(order_id__in=list(order_info))
                .annotate(method_id=Subquery(method.values("shipping_method_id")))
                .order_by("order_id", "pk")
                .values_list(
                    "pk",
                    "order_id",
                    "sku_id",
                    "quantity",
                    "inventory_status",
                    "ship_to_id",
                    "method_id",
                )
            )
            allocated_ids = [x[0] for x in lines if x[4] == "allocated"]
            line_sku = {x[0]: x[2] for x in lines}
            centers_of: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            kits: set[int] = set()  # lines held as components (their units are not the line's)
            for line_id, center_id, sku_id, quantity in LineAllocation.objects.filter(
                line_id__in=allocated_ids, kind="on_hand"
            ).values_list("line_id", "center_id", "sku_id", "quantity"):
                centers_of[line_id][center_id] += quantity
                if sku_id != line_sku[line_id]:
                    kits.add(line_id)
            next_seq = dict(
                Release.objects.filter(order_id__in=list(order_info))
                .values("order_id")
                .annotate(m=Max("sequence"))
                .values_list("order_id", "m")
            )
            by_order: dict[int, list[tuple]] = defaultdict(list)
            for x in lines:
                by_order[x[1]].append(x)

            # (number, order_id, sequence, center_id, shipping_method_id, ship_to_id)
            releases: list[tuple] = []
            # (index into releases, line_id, center_id, sku_id, quantity)
            release_lines: list[tuple] = []
            released_line_ids: list[int] = []
            order_updates: list[tuple[int, str, list]] = []
            for order_id, (_, number, status, atp) in order_info.items():
                olines = by_order[order_id]
                ready = [x for x in olines if x[4] == "allocated"]
                if not ready:
                    continue
                if atp == "ship_complete" and any(
                    x[4] != "allocated" for x in olines if x[4] in ACTIVE_LINE_STATES
                ):
                    counts.skipped_ship_complete += 1
                    continue
                check_order_transition(status, "released")
                groups: dict[tuple, list[tuple]] = {}
                services = []
                for x in ready:
                    check_line_transition(x[4], "released")
                    held = centers_of.get(x[0])
                    if not held:
                        services.append(x)
                        continue
                    if len(held) == 1 or x[0] in kits:
                        # one center, or a kit held in several: pick where most of it is
                        center = max(held, key=lambda c: (held[c], -c))
                        parts = [(center, x[3])]
                    else:
                        parts = _split(x[3], held)
                    for center, qty in parts:
                        groups.setdefault((center, x[6], x[5]), []).append((x, qty))
                for x in services:  # no stock to pick: ride along with the same ship-to
                    key = next((k for k in groups if k[2] == x[5]), (None, x[6], x[5]))
                    groups.setdefault(key, []).append((x, x[3]))
                seq = next_seq.get(order_id) or 0
                numbers = []
                for (center, method, ship_to), members in groups.items():
                    seq += 1
                    rel_number = f"{number or order_id}-R{seq}"
                    releases.append((rel_number, order_id, seq, center, method, ship_to))
                    numbers.append(rel_number)
                    index = len(releases) - 1
                    for x, qty in members:
                        release_lines.append((index, x[0], center, x[2], qty))
                released_line_ids.extend(x[0] for x in ready)
                order_updates.append((order_id, status, numbers))
                counts.orders += 1
                counts.lines += len(ready)
            counts.releases = len(releases)
            if not releases:
                return counts, cursor
            write = _write_postgres if connection.vendor == "postgresql" else _write_orm
            counts.release_ids = write(
                releases, release_lines, released_line_ids, order_updates, actor
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        counts.release_ids = []
    return counts, cursor


def _events(order_updates, actor_id):
    """One per order: the status change naming its releases (ORDER_RELEASED when the order
    was released already and more of it is released now)."""
    out = []
    for order_id, status, numbers in order_updates:
        if status != "released":
            data = {"old": status, "new": "released", "why": "release job", "releases": numbers}
            out.append((int(EventType.ORDER_STATUS_CHANGED), order_id, data))
        else:
            out.append((int(EventType.ORDER_RELEASED), order_id, {"releases": numbers}))
    return out


def _write_orm(releases, release_lines, line_ids, order_updates, actor) -> list[int]:
    from fulfillment.models import Release, ReleaseLine
    from orders.models import Order, OrderEvent, OrderLine

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
    OrderLine.objects.filter(pk__in=line_ids).update(inventory_status="released")
    changed = [o for o, status, _ in order_updates if status != "released"]
    Order.objects.filter(pk__in=changed).update(
        status="released", version=F("version") + 1, modified_at=timezone.now()
    )
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(order_id=o, event_type=e, actor=actor, data=d)
            for e, o, d in _events(order_updates, actor)
        ],
        batch_size=2000,
    )
    return [r.pk for r in rows]


def _write_postgres(releases, release_lines, line_ids, order_updates, actor) -> list[int]:
    """The same writes as _write_orm in five statements from arrays (no model instances)."""
    cols = list(zip(*releases, strict=True))
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO fulfillment_release "
            "(number, order_id, sequence, center_id, shipping_method_id, ship_to_id, status, "
            "created_at) "
            "SELECT v.n, v.o, v.q, v.c, v.m, v.t, 'released', now() FROM unnest("
            "%s::text[], %s::bigint[], %s::int[], %s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS v(n, o, q, c, m, t) RETURNING id, number",
            [list(c) for c in cols],
        )
        id_of = dict((number, pk) for pk, number in cur.fetchall())
        ids = [id_of[r[0]] for r in releases]
        lcols = list(zip(*release_lines, strict=True))
        cur.execute(
            "INSERT INTO fulfillment_releaseline "
            "(release_id, line_id, center_id, sku_id, quantity, shipped_quantity) "
            "SELECT v.r, v.l, v.c, v.s, v.q, 0 FROM unnest("
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::int[]) "
            "AS v(r, l, c, s, q)",
            [
                [ids[i] for i in lcols[0]],
                list(lcols[1]),
                list(lcols[2]),
                list(lcols[3]),
                list(lcols[4]),
            ],
        )
        cur.execute(
            "UPDATE orders_orderline SET inventory_status = 'released' WHERE id = ANY(%s)",
            [sorted(line_ids)],
        )
        changed = sorted(o for o, status, _ in order_updates if status != "released")
        cur.execute(
            "UPDATE orders_order SET status = 'released', version = version + 1, "
            "modified_at = now() WHERE id = ANY(%s)",
            [changed],
        )
        events = _events(order_updates, actor)
        cur.execute(
            "INSERT INTO orders_orderevent (event_type, actor_id, occurred_at, data, order_id) "
            "SELECT v.e, %s, now(), v.d, v.o "
            "FROM unnest(%s::int[], %s::bigint[], %s::jsonb[]) AS v(e, o, d)",
            [
                actor.pk if actor else None,
                [e[0] for e in events],
                [e[1] for e in events],
                [json.dumps(e[2]) for e in events],
            ],
        )
    return ids


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

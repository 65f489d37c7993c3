"""Stale-allocation sweep speed: 1,000,000 cart lines of which 200,000 are stale
(target < 30 s with one worker), and the speed-up with two worker processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_fulfillment \\
    BENCH=1 BENCH_SWEEP_LINES=1000000 .venv/bin/pytest tests/bench/test_fulfillment_sweep.py -s

BENCH_SWEEP_LINES cart lines (default 1,000,000; 10 per cart, 2,000 SKUs) each hold an
allocation; one in five is older than "allocation good for". The data is generated set-based
in SQL and committed; then `run_sweep` runs in one worker process, the allocations are
restored, and it runs in two worker processes at once (FOR UPDATE SKIP LOCKED shares the
work). Prints the time each worker spent sweeping, the wall time, each worker's CPU and its
database backend's CPU (tests/bench/workers.py) and the load average; no wall-clock assertions.
"""

import os
import time

import pytest
from django.db import connection

from orders.models import Order, OrderLine
from tests.bench.workers import checkpoint, copy_columns, cpu_note, run_workers

pytestmark = pytest.mark.postgres

LINES = int(os.environ.get("BENCH_SWEEP_LINES", 1_000_000))
PER_CART = 10
SKUS = 2000

WORKER = """
from datetime import timedelta
from django.utils import timezone
from fulfillment.sweep import run_sweep


def work(batch_size):
    cutoff = timezone.now() - timedelta(hours=2)
    return {"swept": run_sweep(cutoff=cutoff, batch_size=int(batch_size))}
"""


def _generate(progress) -> None:
    from catalog.models import SKU
    from fulfillment.models import FulfillmentCenter, Inventory
    from tests.catalog.factories import ProductFactory
    from tests.orders.factories import OrderFactory, StaffFactory

    center = FulfillmentCenter.objects.create(code="TOR", name="Toronto", precedence=1)
    product = ProductFactory()
    SKU.objects.bulk_create(
        SKU(code=f"BENCH-{n:05d}", name=f"Bench {n}", product=product) for n in range(SKUS)
    )
    sku_ids = list(SKU.objects.values_list("id", flat=True))
    Inventory.objects.bulk_create(
        Inventory(sku_id=s, center=center, on_hand=10_000_000) for s in sku_ids
    )
    template = OrderFactory(created_by=StaffFactory())
    template_line = OrderLine.objects.create(order=template, sku_id=sku_ids[0], quantity=1)
    carts = LINES // PER_CART
    cols, exprs = copy_columns(Order, {"number": "NULL"})
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO orders_order ({cols}) SELECT {exprs} FROM orders_order t "
            f"CROSS JOIN generate_series(1, %s) g WHERE t.id = %s RETURNING id",
            [carts, template.pk],
        )
        order_ids = sorted(r[0] for r in cur.fetchall())
        progress(f"{carts:,} carts")
        cols, exprs = copy_columns(
            OrderLine,
            {
                "order_id": f"(%s::bigint[])[g / {PER_CART} + 1]",
                "sku_id": f"(%s::bigint[])[g %% {SKUS} + 1]",
                "quantity": "1 + g %% 3",
                "inventory_status": "'allocated'",
            },
        )
        cur.execute(
            f"INSERT INTO orders_orderline ({cols}) SELECT {exprs} FROM orders_orderline t "
            f"CROSS JOIN generate_series(0, %s) g WHERE t.id = %s",
            [order_ids, sku_ids, carts * PER_CART - 1, template_line.pk],
        )
        cur.execute("DELETE FROM orders_orderline WHERE id = %s", [template_line.pk])
        cur.execute("DELETE FROM orders_order WHERE id = %s", [template.pk])
        progress(f"{carts * PER_CART:,} lines")
    _allocate_all()


def _allocate_all() -> None:
    """Every line holds its quantity in TOR; one line in five since long ago."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE fulfillment_lineallocation")
        cur.execute(
            "DELETE FROM orders_orderevent WHERE event_type = 512",
        )
        cur.execute(
            """
            INSERT INTO fulfillment_lineallocation
                (line_id, kind, sku_id, quantity, center_id, inventory_id, allocated_at)
            SELECT l.id, 'on_hand', l.sku_id, l.quantity, i.center_id, i.id,
                   CASE WHEN l.id % 5 = 0
                        THEN now() - interval '1 day' - (l.id % 3600) * interval '1 second'
                        ELSE now() - (l.id % 600) * interval '1 second' END
            FROM orders_orderline l JOIN fulfillment_inventory i ON i.sku_id = l.sku_id
            """
        )
        cur.execute("UPDATE orders_orderline SET inventory_status = 'allocated'")
        cur.execute(
            """
            UPDATE fulfillment_inventory i SET allocated = s.q
            FROM (SELECT inventory_id, sum(quantity) q FROM fulfillment_lineallocation
                  GROUP BY inventory_id) s
            WHERE i.id = s.inventory_id
            """
        )
        cur.execute("VACUUM ANALYZE fulfillment_lineallocation")
        cur.execute("VACUUM ANALYZE orders_orderline")
        cur.execute("VACUUM ANALYZE fulfillment_inventory")
        cur.execute("VACUUM ANALYZE orders_order")


def _stale_count() -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM fulfillment_lineallocation WHERE allocated_at < now() - "
            "interval '2 hours'"
        )
        return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)  # committed: the worker processes must see the data
def test_sweep_stale_allocations(django_db_blocker):
    batch = int(os.environ.get("BENCH_SWEEP_BATCH", 5000))
    with django_db_blocker.unblock():
        started = time.perf_counter()
        _generate(lambda msg: print(f"\n  generated {msg}", flush=True))
        print(f"\n  data ready in {time.perf_counter() - started:.0f}s")
        stale = _stale_count()
        print(f"  {LINES:,} cart lines, {stale:,} stale, batch {batch}")

        if os.environ.get("BENCH_SWEEP_PROFILE"):
            from datetime import timedelta

            from django.test.utils import CaptureQueriesContext
            from django.utils import timezone

            from fulfillment.sweep import MIN_CURSOR, sweep_batch

            cutoff = timezone.now() - timedelta(hours=2)
            cursor = MIN_CURSOR
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                sweep_batch(cutoff=cutoff, cursor=cursor, batch_size=batch)
                print(f"  one batch in-process: {time.perf_counter() - t:.2f}s")
            for q in ctx.captured_queries:
                print("   ", q["time"], q["sql"][:120])
            _allocate_all()
        checkpoint()
        wall, one = run_workers(WORKER, 1, batch)
        r = one[0]
        assert r["swept"] == stale
        print(
            f"  1 worker : swept {r['swept']:,} in {r['seconds']:.1f}s "
            f"({r['swept'] / r['seconds']:,.0f} lines/s; wall {wall:.1f}s; {cpu_note(r)}; "
            f"load {os.getloadavg()[0]:.2f})"
        )
        _allocate_all()
        checkpoint()
        wall2, two = run_workers(WORKER, 2, batch)
        assert sum(x["swept"] for x in two) == stale
        slowest = max(x["seconds"] for x in two)
        shares = " + ".join(f"{x['swept']:,}" for x in two)
        print(
            f"  2 workers: swept {shares} in {slowest:.1f}s (wall {wall2:.1f}s; "
            f"{'; '.join(cpu_note(x) for x in two)}; load {os.getloadavg()[0]:.2f}); "
            f"speed-up {r['seconds'] / slowest:.2f}x"
        )
        assert _stale_count() == 0

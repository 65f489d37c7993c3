"""Stale-allocation sweep speed: 1,000,000 cart lines of which 200,000 are stale
(target < 30 s with one worker), and the speed-up with two worker processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_fulfillment \\
    BENCH=1 BENCH_SWEEP_LINES=1000000 .venv/bin/pytest tests/bench/test_fulfillment_sweep.py -s

BENCH_SWEEP_LINES cart lines (default 1,000,000; 10 per cart, 2,000 SKUs) each hold an
allocation; one in five is older than "allocation good for". The data is generated set-based
in SQL and committed; then `run_sweep` runs in one worker process, the allocations are
restored, and it runs in two worker processes at once (FOR UPDATE SKIP LOCKED shares the
work). Prints the time each worker spent sweeping and the wall time; no wall-clock assertions.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from orders.models import Order, OrderLine

pytestmark = pytest.mark.postgres

LINES = int(os.environ.get("BENCH_SWEEP_LINES", 1_000_000))
PER_CART = 10
SKUS = 2000
ROOT = Path(__file__).resolve().parent.parent.parent

WORKER = """
import json, sys, time
import django
django.setup()
from datetime import timedelta
from django.utils import timezone
from fulfillment.sweep import run_sweep
cutoff = timezone.now() - timedelta(hours=2)
started = time.perf_counter()
n = run_sweep(cutoff=cutoff, batch_size=int(sys.argv[1]))
print(json.dumps({"swept": n, "seconds": time.perf_counter() - started}))
"""


def _copy_columns(model, overrides: dict[str, str]) -> tuple[str, str]:
    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f'"{f.column}"')
        exprs.append(overrides.get(f.column, f't."{f.column}"'))
    return ", ".join(cols), ", ".join(exprs)


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
    cols, exprs = _copy_columns(Order, {"number": "NULL"})
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO orders_order ({cols}) SELECT {exprs} FROM orders_order t "
            f"CROSS JOIN generate_series(1, %s) g WHERE t.id = %s RETURNING id",
            [carts, template.pk],
        )
        order_ids = sorted(r[0] for r in cur.fetchall())
        progress(f"{carts:,} carts")
        cols, exprs = _copy_columns(
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


def _run_workers(count: int, batch_size: int) -> tuple[float, list[dict]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.worker_test",
        "TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
    }
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(batch_size)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=1800)
        assert p.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return time.perf_counter() - started, results


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
            cursor = (timezone.make_aware(MIN_CURSOR[0], timezone.get_fixed_timezone(0)), 0)
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                sweep_batch(cutoff=cutoff, cursor=cursor, batch_size=batch)
                print(f"  one batch in-process: {time.perf_counter() - t:.2f}s")
            for q in ctx.captured_queries:
                print("   ", q["time"], q["sql"][:120])
            _allocate_all()
        wall, one = _run_workers(1, batch)
        assert one[0]["swept"] == stale
        print(
            f"  1 worker : swept {one[0]['swept']:,} in {one[0]['seconds']:.1f}s "
            f"({one[0]['swept'] / one[0]['seconds']:,.0f} lines/s; wall {wall:.1f}s)"
        )
        _allocate_all()
        wall2, two = _run_workers(2, batch)
        assert sum(r["swept"] for r in two) == stale
        slowest = max(r["seconds"] for r in two)
        shares = " + ".join(f"{r['swept']:,}" for r in two)
        print(
            f"  2 workers: swept {shares} in "
            f"{slowest:.1f}s (wall {wall2:.1f}s); speed-up {one[0]['seconds'] / slowest:.2f}x"
        )
        assert _stale_count() == 0

"""Release job speed: N authorized orders (3 lines average, 2 centers) on one worker, then on
two worker processes at once (the target: 100,000 orders under 60 s on one worker, >= 1.7x).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_release \\
    BENCH=1 BENCH_RELEASE_ORDERS=100000 .venv/bin/pytest tests/bench/test_fulfillment_release.py -s

BENCH_RELEASE_ORDERS orders (default 100,000), each with one ship-to and 2-4 lines (3 on
average) over 2,000 SKUs; even SKUs are stocked in TOR, odd ones in VAN, so most orders make
two releases. The data is generated set-based in SQL and committed; `run_release` runs in one
worker process, the data is put back, and it runs in two worker processes at once (FOR UPDATE
SKIP LOCKED shares the work). Prints each worker's time, the wall time, each worker's CPU and
its database backend's CPU (tests/bench/workers.py) and the load average; no assertions on
time.
"""

import os
import time

import pytest
from django.db import connection

from orders.models import Order, OrderAddress, OrderLine
from tests.bench.workers import checkpoint, copy_columns, cpu_note, run_workers

pytestmark = pytest.mark.postgres

ORDERS = int(os.environ.get("BENCH_RELEASE_ORDERS", 100_000))
SKUS = 2000

WORKER = """
from fulfillment.releases import run_release


def work(batch_size):
    c = run_release(batch_size=int(batch_size))
    return {"orders": c.orders, "releases": c.releases, "lines": c.lines}
"""


def _generate(progress) -> None:
    from catalog.models import SKU
    from fulfillment.models import FulfillmentCenter, Inventory
    from pricing.models import ShippingMethod
    from tests.catalog.factories import ProductFactory
    from tests.orders.factories import OrderAddressFactory, OrderFactory, StaffFactory

    tor = FulfillmentCenter.objects.create(code="TOR", name="Toronto", precedence=1)
    van = FulfillmentCenter.objects.create(code="VAN", name="Vancouver", precedence=2)
    ground, _ = ShippingMethod.objects.get_or_create(code="ground", defaults={"name": "Ground"})
    product = ProductFactory()
    SKU.objects.bulk_create(
        SKU(code=f"BENCH-{n:05d}", name=f"Bench {n}", product=product) for n in range(SKUS)
    )
    sku_ids = sorted(SKU.objects.values_list("id", flat=True))
    Inventory.objects.bulk_create(
        Inventory(sku_id=s, center=tor if i % 2 == 0 else van, on_hand=10_000_000)
        for i, s in enumerate(sku_ids)
    )
    template = OrderFactory(created_by=StaffFactory(), status="authorized")
    address = OrderAddressFactory(order=template, shipping_method=ground)
    line = OrderLine.objects.create(order=template, sku_id=sku_ids[0], quantity=1, ship_to=address)
    with connection.cursor() as cur:
        cols, exprs = copy_columns(Order, {"number": "'B' || g"})
        cur.execute(
            f"INSERT INTO orders_order ({cols}) SELECT {exprs} FROM orders_order t "
            f"CROSS JOIN generate_series(1, %s) g WHERE t.id = %s",
            [ORDERS, template.pk],
        )
        progress(f"{ORDERS:,} orders")
        cols, exprs = copy_columns(OrderAddress, {"order_id": "o.id"})
        cur.execute(
            f"INSERT INTO orders_orderaddress ({cols}) SELECT {exprs} FROM orders_orderaddress t "
            f"CROSS JOIN orders_order o WHERE t.id = %s AND o.id <> %s",
            [address.pk, template.pk],
        )
        cols, exprs = copy_columns(
            OrderLine,
            {
                "order_id": "a.order_id",
                "ship_to_id": "a.id",
                "sku_id": f"(%s::bigint[])[(a.id * 7 + g * 13) %% {SKUS} + 1]",
                "quantity": "1 + g %% 3",
                "inventory_status": "'allocated'",
            },
        )
        cur.execute(
            f"INSERT INTO orders_orderline ({cols}) SELECT {exprs} FROM orders_orderline t "
            "CROSS JOIN orders_orderaddress a "
            "CROSS JOIN LATERAL generate_series(1, 2 + a.order_id %% 3) g "
            "WHERE t.id = %s AND a.order_id <> %s",
            [sku_ids, line.pk, template.pk],
        )
        cur.execute("DELETE FROM orders_orderline WHERE order_id = %s", [template.pk])
        cur.execute("DELETE FROM orders_orderaddress WHERE order_id = %s", [template.pk])
        cur.execute("DELETE FROM orders_order WHERE id = %s", [template.pk])
        cur.execute(
            """
            INSERT INTO fulfillment_lineallocation
                (line_id, kind, sku_id, quantity, center_id, inventory_id, allocated_at)
            SELECT l.id, 'on_hand', l.sku_id, l.quantity, i.center_id, i.id, now()
            FROM orders_orderline l JOIN fulfillment_inventory i ON i.sku_id = l.sku_id
            """
        )
        cur.execute("SELECT count(*) FROM orders_orderline")
        progress(f"{cur.fetchone()[0]:,} lines")
    _reset()


def _reset() -> None:
    """Every order back to authorized with its lines allocated, no releases."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE fulfillment_releaseline, fulfillment_release CASCADE")
        cur.execute("TRUNCATE orders_orderevent")
        cur.execute("UPDATE orders_order SET status = 'authorized'")
        cur.execute("UPDATE orders_orderline SET inventory_status = 'allocated'")
        for table in (
            "orders_order",
            "orders_orderline",
            "fulfillment_lineallocation",
            "orders_orderaddress",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")


def _profile(batch: int) -> None:
    import cProfile
    import pstats

    from django.test.utils import CaptureQueriesContext

    from fulfillment.releases import release_batch

    with CaptureQueriesContext(connection) as ctx:
        profile = cProfile.Profile()
        t = time.perf_counter()
        profile.enable()
        release_batch(after_id=0, batch_size=batch)
        profile.disable()
        print(f"  one batch in-process: {time.perf_counter() - t:.2f}s")
    for q in ctx.captured_queries:
        print("   ", q["time"], q["sql"][:140])
    pstats.Stats(profile).sort_stats("tottime").print_stats(12)
    _reset()


@pytest.mark.django_db(transaction=True)  # committed: the worker processes must see the data
def test_release_orders(django_db_blocker):
    from fulfillment.models import Release

    batch = int(os.environ.get("BENCH_RELEASE_BATCH", 1000))
    with django_db_blocker.unblock():
        started = time.perf_counter()
        _generate(lambda msg: print(f"\n  generated {msg}", flush=True))
        print(f"\n  data ready in {time.perf_counter() - started:.0f}s; batch {batch}")
        if os.environ.get("BENCH_RELEASE_PROFILE"):
            _profile(batch)
        checkpoint()
        wall, one = run_workers(WORKER, 1, batch)
        r = one[0]
        assert r["orders"] == ORDERS
        releases = Release.objects.count()
        assert releases == r["releases"]
        print(
            f"  1 worker : {r['orders']:,} orders -> {r['releases']:,} releases, "
            f"{r['lines']:,} lines in {r['seconds']:.1f}s "
            f"({r['orders'] / r['seconds']:,.0f} orders/s; wall {wall:.1f}s; {cpu_note(r)}; "
            f"load {os.getloadavg()[0]:.2f})"
        )
        _reset()
        checkpoint()
        wall2, two = run_workers(WORKER, 2, batch)
        assert sum(x["orders"] for x in two) == ORDERS
        assert Release.objects.count() == releases  # each release created once
        slowest = max(x["seconds"] for x in two)
        shares = " + ".join(f"{x['orders']:,}" for x in two)
        print(
            f"  2 workers: {shares} orders in {slowest:.1f}s (wall {wall2:.1f}s; "
            f"{'; '.join(cpu_note(x) for x in two)}; load {os.getloadavg()[0]:.2f}); "
            f"speed-up {r['seconds'] / slowest:.2f}x"
        )

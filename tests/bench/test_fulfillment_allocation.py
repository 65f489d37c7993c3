"""Allocation speed: a 30-line order (target median < 20 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_fulfillment \\
    BENCH=1 .venv/bin/pytest tests/bench/test_fulfillment_allocation.py -s

BENCH_ALLOC_ORDERS carts (default 60) of 30 lines each over 300 SKUs stocked in two centers,
with some SKUs short (so lines split across centers, expected inventory and backorders).
Times `allocate_order` on each fresh cart, then re-allocation of an allocated cart (release
and allocate again). Prints median and p95; no wall-clock assertions.
"""

import os
import statistics
import time

import pytest

from orders import allocation
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import CenterFactory, expect, stock
from tests.orders.factories import OrderFactory, OrderLine, StaffFactory

ORDERS = int(os.environ.get("BENCH_ALLOC_ORDERS", 60))
LINES = 30


def _report(label, timings, size):
    timings = sorted(timings)
    p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
    print(
        f"\n  {label:<34} median {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms"
        f"   ({size})"
    )


@pytest.mark.django_db
def test_allocate_30_line_order():
    from django.db import connection

    tor, van = CenterFactory(code="TOR", precedence=1), CenterFactory(code="VAN", precedence=2)
    skus = SKUFactory.create_batch(300)
    for i, sku in enumerate(skus):
        stock(sku, tor, 0 if i % 7 == 0 else 10_000)
        stock(sku, van, 5 if i % 7 == 0 else 10_000)
        if i % 7 == 0:
            expect(sku, tor, 50)
    staff = StaffFactory()
    carts = []
    for n in range(ORDERS):
        cart = OrderFactory(created_by=staff)
        OrderLine.objects.bulk_create(
            OrderLine(order=cart, sku=skus[(n * 11 + k) % 300], quantity=1 + k % 4)
            for k in range(LINES)
        )
        carts.append(cart)
    first, again = [], []
    for cart in carts:
        started = time.perf_counter()
        allocation.allocate_order(order=cart)
        first.append((time.perf_counter() - started) * 1000)
    for cart in carts:
        started = time.perf_counter()
        allocation.allocate_order(order=cart)
        again.append((time.perf_counter() - started) * 1000)
    size = f"{ORDERS} orders × {LINES} lines, 300 SKUs × 2 centers, {connection.vendor}"
    _report("allocate_order (fresh cart)", first, size)
    _report("allocate_order (re-allocate)", again, size)

"""Find-order speed on a large PostgreSQL data set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_orders_bench \\
    BENCH=1 BENCH_ORDERS=5000000 .venv/bin/pytest tests/bench/test_orders_search.py -s --reuse-db

Generates what is missing of BENCH_ORDERS orders (default 5,000,000; with 200,000 customers
and 2,000 SKUs if there are none) once, committed (with --reuse-db a second run reuses them;
`manage.py generate_load_data --orders N` fills the same tables). Then times the find-orders
page (`order_search(limit=50)[:50]`, the rows the screen shows) for each field, with values
taken from random orders (the street also from only those with a house number of one or two
digits, whose number is the end of many longer ones, and that number typed alone), and
prints median and p95. Targets: median < 20 ms, p95 < 50 ms. No wall-clock assertions. Each
line also gives the median time spent in the queries (sent, run, answered): on a busy machine
the rest is the Python process waiting for a core.
"""

import os
import random
import re
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import SKU
from customers.models import Customer
from orders.models import Order, OrderAddress, OrderLine
from orders.selectors import order_search
from orders.views import FIND_PAGE

pytestmark = pytest.mark.postgres
SAMPLES = int(os.environ.get("BENCH_SAMPLES", 40))
SHORT_HOUSE_NUMBER = re.compile(r"\d{1,2} ")


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[max(int(len(values) * 0.95) - 1, 0)]


@pytest.fixture(scope="module")
def size(django_db_setup, django_db_blocker):
    from catalog.load_data import generate_skus
    from customers.load_data import generate_customers
    from orders.load_data import generate_orders

    wanted = int(os.environ.get("BENCH_ORDERS", 5_000_000))
    with django_db_blocker.unblock():
        if not Customer.objects.exists():
            generate_customers(200_000, seed=2026)
        if SKU.objects.count() < 3:
            generate_skus(2_000)
        have = Order.objects.count()
        if have < wanted:
            started = time.monotonic()

            def progress(done):
                print(f"\r  generating orders: {done:,}/{wanted - have:,}", end="", flush=True)

            generate_orders(wanted - have, progress, seed=2026)
            print(f"\n  generated {wanted - have:,} orders in {time.monotonic() - started:.0f}s")
            with connection.cursor() as cursor:  # what autovacuum does after a load
                for table in ("orders_order", "orders_orderaddress", "orders_orderline"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        total = Order.objects.count()
        print(f"  orders: {total:,}, customers: {Customer.objects.count():,}")
    return total


def _sample_orders(count: int) -> list[Order]:
    rng = random.Random(11)
    top = Order.objects.order_by("-id").values_list("id", flat=True).first()
    ids = [rng.randint(1, top) for _ in range(count * 3)]
    return list(Order.objects.filter(pk__in=ids).select_related("customer")[: count * 2])


def _searches(orders: list[Order]) -> dict[str, list[dict]]:
    """Per field, the searches a CSR would type for these orders."""
    guests = [o for o in orders if o.customer_id is None][:SAMPLES]
    registered = [o for o in orders if o.customer_id][:SAMPLES]
    placed = [o for o in orders if o.number][:SAMPLES]
    addresses = {
        a.order_id: a
        for a in OrderAddress.objects.filter(order_id__in=[o.pk for o in orders[:SAMPLES]])
    }
    # A fifth of the generated lines start with a house number of one or two digits; the
    # street line samples them as often, this line only them ('70 Bloor St W', not '170 ...').
    short_numbers = [
        a.line1
        for a in OrderAddress.objects.filter(order_id__in=[o.pk for o in orders])
        if SHORT_HOUSE_NUMBER.match(a.line1)
    ][:SAMPLES]
    lines = dict(
        OrderLine.objects.filter(order_id__in=[o.pk for o in orders[:SAMPLES]]).values_list(
            "order_id", "sku__code"
        )
    )

    def nanp(e164: str) -> str:  # '+12135552553' -> '(213) 555-2553'
        d = e164[2:]
        return f"({d[:3]}) {d[3:6]}-{d[6:]}"

    days = [o.created_at.date() for o in orders[:SAMPLES]]
    return {
        "quick: phone (formatted)": [{"query": nanp(o.customer.phone)} for o in registered],
        "quick: guest phone": [{"query": nanp(o.guest_phone)} for o in guests],
        "quick: 7-digit phone": [{"query": o.guest_phone[5:]} for o in guests],
        "quick: e-mail": [{"query": o.customer.email} for o in registered],
        "quick: last name": [{"query": o.customer.last_name} for o in registered],
        "quick: order number": [{"query": o.number} for o in placed],
        "quick: number digits": [{"query": o.number.split("-")[1].lstrip("0")} for o in placed],
        "quick: compact ZIP": [
            {"query": a.postal_code.replace(" ", "").lower()} for a in addresses.values()
        ],
        "phone": [{"phone": nanp(o.guest_phone)} for o in guests],
        "logon ID": [{"logon_id": o.customer.logon_id} for o in registered],
        "first name": [{"first_name": o.guest_first_name} for o in guests],
        "last name": [{"last_name": o.guest_last_name[:4]} for o in guests],
        "e-mail": [{"email": o.guest_email} for o in guests],
        "ZIP": [{"postal_code": a.postal_code} for a in addresses.values()],
        "street": [{"street": a.line1} for a in addresses.values()],
        "street, 1-2 digit number": [{"street": line} for line in short_numbers],
        "street, the number alone": [{"street": line.split(" ")[0]} for line in short_numbers],
        "city": [{"city": a.city} for a in addresses.values()],
        "SKU (find order item)": [{"sku": code} for code in lines.values()],
        "status": [{"status": o.status} for o in orders[:SAMPLES]],
        "created on a day": [{"created_from": d, "created_to": d} for d in days],
        "last name + dates": [
            {"last_name": o.guest_last_name, "created_from": o.created_at.date().replace(day=1)}
            for o in guests
        ],
    }


@pytest.mark.django_db
def test_order_search_each_field(size):
    searches = _searches(_sample_orders(SAMPLES * 4))
    print(
        f"\n  find orders, first page of {FIND_PAGE}, {size:,} orders "
        f"(machine load {os.getloadavg()[0]:.1f}):"
    )
    for label, cases in searches.items():
        for fields in cases[:3]:  # warm the caches the way a working desk has them
            list(order_search(limit=FIND_PAGE, **fields)[:FIND_PAGE])
        timings, in_database, hits, queries = [], [], 0, 0
        for fields in cases:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                found = list(order_search(limit=FIND_PAGE, **fields)[:FIND_PAGE])
                timings.append((time.perf_counter() - started) * 1000)
            hits += bool(found)
            queries = max(queries, len(captured))
            in_database.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        print(
            f"  {label:<24} median {statistics.median(timings):6.1f} ms   "
            f"p95 {_p95(timings):6.1f} ms   (queries {statistics.median(in_database):5.1f} ms; "
            f"n={len(timings)}, found {hits}, at most {queries} queries)"
        )

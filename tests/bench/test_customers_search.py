"""Find-customer speed on a large PostgreSQL data set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_customers_bench \\
    BENCH=1 BENCH_CUSTOMERS=1000000 .venv/bin/pytest tests/bench/test_customers_search.py -s \\
        --reuse-db

Generates BENCH_CUSTOMERS customers (default 1,000,000; 1-3 addresses each) once, committed
(with --reuse-db a second run reuses them), then times the selector (one results page with
everything the screen shows) for each kind of search, and the whole /customers/ HTTP response.
Prints median and p95; targets: selector median < 20 ms, p95 < 50 ms; HTTP median < 80 ms.
No wall-clock assertions.
"""

import os
import random
import statistics
import time

import pytest
from django.db import connection

from customers.load_data import generate_customers
from customers.models import Address, Customer
from customers.selectors import search_page

pytestmark = pytest.mark.postgres
SAMPLES = int(os.environ.get("BENCH_SAMPLES", 60))


def _report(label: str, timings: list[float], size: int) -> None:
    timings = sorted(timings)
    p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
    print(
        f"  {label:<28} median {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms"
        f"   (n={len(timings)}, {size:,} customers)"
    )


@pytest.fixture(scope="module")
def size(django_db_setup, django_db_blocker):
    wanted = int(os.environ.get("BENCH_CUSTOMERS", 1_000_000))
    with django_db_blocker.unblock():
        have = Customer.objects.count()
        if have < wanted:
            started = time.monotonic()

            def progress(done):
                print(f"\r  generating customers: {done:,}/{wanted - have:,}", end="", flush=True)

            generate_customers(wanted - have, progress, seed=2026)
            print(f"\n  generated {wanted - have:,} customers in {time.monotonic() - started:.0f}s")
        total = Customer.objects.count()
        print(f"  customers: {total:,}, addresses: {Address.objects.count():,}")
    return total


def _samples(count: int) -> list[Customer]:
    rng = random.Random(11)
    top = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    ids = [rng.randint(1, top) for _ in range(count * 2)]
    found = list(Customer.objects.filter(pk__in=ids).prefetch_related("addresses")[:count])
    return found


def _queries(customers: list[Customer]) -> dict[str, list[dict]]:
    return {
        "last-name prefix": [{"query": c.last_name[:4]} for c in customers],
        "phone fragment": [{"query": c.phone_digits[-7:]} for c in customers],
        "e-mail prefix": [{"query": c.email[:12]} for c in customers],
        "ZIP": [{"query": c.addresses.all()[0].postal_code} for c in customers],
        "logon ID": [{"query": c.logon_id} for c in customers],
        "adv. last name + first": [
            {"last_name": c.last_name[:3], "first_name": c.first_name[:2]} for c in customers
        ],
        "adv. phone (formatted)": [
            {"phone": f"({c.phone_digits[1:4]}) {c.phone_digits[4:7]}-{c.phone_digits[7:]}"}
            for c in customers
        ],
    }


@pytest.mark.django_db
def test_find_customer_selector_speed(size):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark is for PostgreSQL")
    customers = _samples(SAMPLES)
    print()
    for label, searches in _queries(customers).items():
        for search in searches[:5]:  # warm up
            search_page(**search)
        timings = []
        empty = 0
        for search in searches:
            started = time.perf_counter()
            page = search_page(**search)
            timings.append((time.perf_counter() - started) * 1000)
            empty += not page["rows"]
        assert empty == 0, f"{label}: {empty} searches found nothing"
        _report(label, timings, size)


@pytest.mark.django_db
def test_find_customer_http_speed(size, client, csr):
    client.force_login(csr)
    customers = _samples(SAMPLES)
    searches = [c.last_name[:4] for c in customers] + [c.phone_digits[-7:] for c in customers]
    for q in searches[:5]:
        client.get("/customers/", {"q": q}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    timings = {"full page": [], "htmx results": []}
    for q in searches:
        started = time.perf_counter()
        response = client.get("/customers/", {"q": q})
        timings["full page"].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        started = time.perf_counter()
        response = client.get(
            "/customers/", {"q": q}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
        )
        timings["htmx results"].append((time.perf_counter() - started) * 1000)
        assert b"data-row" in response.content
    print()
    for label, values in timings.items():
        _report(f"HTTP {label}", values, size)

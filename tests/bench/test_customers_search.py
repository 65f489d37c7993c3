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
from customers.selectors import PAGE_SIZE, find_customers, search_page

pytestmark = pytest.mark.postgres
SAMPLES = int(os.environ.get("BENCH_SAMPLES", 60))


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[max(int(len(values) * 0.95) - 1, 0)]


def _report(label: str, timings: list[float], size: int, cpu=None, db=None) -> None:
    extra = ""
    if cpu:
        extra += f"   app CPU median {statistics.median(cpu):5.1f} ms"
    if db:
        extra += f"   DB plan+exec median {statistics.median(db):5.1f} p95 {_p95(db):6.1f} ms"
    print(
        f"  {label:<24} median {statistics.median(timings):6.1f} ms   p95 {_p95(timings):6.1f} ms"
        f"{extra}   (n={len(timings)}, {size:,} customers)"
    )


def _db_time(search: dict) -> float:
    """PostgreSQL's own planning + execution time of the page query (EXPLAIN ANALYZE)."""
    qs = find_customers(limit=PAGE_SIZE + 1, **search)[: PAGE_SIZE + 1]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else plan
    return plan["Planning Time"] + plan["Execution Time"]


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
    print(f"\n  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for label, searches in _queries(customers).items():
        for search in searches[:5]:  # warm up
            search_page(**search)
        timings, cpu, db = [], [], []
        empty = 0
        for search in searches:
            started, started_cpu = time.perf_counter(), time.process_time()
            page = search_page(**search)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            empty += not page["rows"]
            db.append(_db_time(search))
        assert empty == 0, f"{label}: {empty} searches found nothing"
        _report(label, timings, size, cpu=cpu, db=db)


@pytest.mark.django_db
def test_find_customer_http_speed(size, client, csr):
    """The whole request through Django's WSGI handler (middleware, session, auth, view,
    templates), as a server would run it; the test Client is not used for timing because it
    copies every template context for its assertions."""
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections
    from django.test import RequestFactory

    client.force_login(csr)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    handler, factory = WSGIHandler(), RequestFactory()

    def get(q: str, **headers) -> bytes:
        environ = factory.get("/customers/", {"q": q}, HTTP_COOKIE=cookie, **headers).environ
        status = []
        # As the test Client does: keep the test's connection open across the request.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            body = b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        assert status[0].startswith("200"), status
        return body

    customers = _samples(SAMPLES)
    searches = [c.last_name[:4] for c in customers] + [c.phone_digits[-7:] for c in customers]
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    for q in searches[:5]:
        get(q, **htmx)
    timings = {"full page": [], "htmx results": []}
    cpu = {"full page": [], "htmx results": []}
    for q in searches:
        for label, headers in (("full page", {}), ("htmx results", htmx)):
            started, started_cpu = time.perf_counter(), time.process_time()
            body = get(q, **headers)
            timings[label].append((time.perf_counter() - started) * 1000)
            cpu[label].append((time.process_time() - started_cpu) * 1000)
            assert b"data-row" in body
    print(f"\n  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for label, values in timings.items():
        _report(f"HTTP {label}", values, size, cpu=cpu[label])

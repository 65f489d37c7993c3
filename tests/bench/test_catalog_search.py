"""Catalog search benchmark (BENCH=1; PostgreSQL, e.g. DATABASE_URL=.../h_catalog_bench).

Generates BENCH_SKUS SKUs (default 200,000) with catalog.load_data.generate_skus, then times
find_catalog_items — the selector the CSR screen and the API use, with its prefetches — for
SKU code prefixes and fuzzy (misspelled) names, and the whole /catalog/ htmx response.
Prints median and p95; asserts only the query count, never wall-clock time.
Targets (issue 4): prefix median < 10 ms, fuzzy median < 30 ms on 200,000 SKUs.
"""

import os
import random
import statistics
import time

import pytest
from django.db import connection

from catalog import load_data
from catalog.models import SKU, buyable_q
from catalog.selectors import find_catalog_items, matching_sku_ids

pytestmark = pytest.mark.postgres

SKUS = int(os.environ.get("BENCH_SKUS", "200000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "60"))


@pytest.fixture(scope="module")
def catalog_volume(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        have = SKU.objects.count()
        if have < SKUS:
            started = time.monotonic()
            load_data.generate_skus(SKUS - have, seed=7)
            print(f"\n  generated {SKUS - have:,} SKUs in {time.monotonic() - started:.1f}s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalog_sku") if not connection.in_atomic_block else None
        codes = list(SKU.objects.order_by("?").values_list("code", "name")[:ROUNDS])
    return codes


def _misspell(name: str, rng: random.Random) -> str:
    """Drop one letter from each of two words of a real name: "Clasic Notebok"."""
    words = [w.strip(",") for w in name.split() if len(w.strip(",")) >= 5][:2] or [name]
    out = []
    for word in words:
        i = rng.randrange(1, len(word) - 1)
        out.append(word[:i] + word[i + 1 :])
    return " ".join(out).lower()


def _time(label: str, queries: list[str], **kwargs) -> None:
    """The selector with its page (rows, associations, kit parts) and, separately, the search
    step alone (matching ids), which is what grows with the catalog."""
    _measure(label, queries, lambda q: list(find_catalog_items(query=q, **kwargs)))
    candidates = SKU.objects.filter(buyable_q()) if kwargs.get("buyable_only") else SKU.objects
    _measure("  search step only", queries, lambda q: matching_sku_ids(candidates, q, limit=20))


def _measure(label, queries, run) -> None:
    for q in queries[:3]:  # warm up
        run(q)
    times, cpu, found = [], [], 0
    for q in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        rows = run(q)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        found += bool(rows)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"\n  {label:<34} {SKUS:>9,} SKUs  median {statistics.median(times):6.2f} ms"
        f"  p95 {p95:6.2f} ms  app CPU median {statistics.median(cpu):6.2f} ms"
        f"  ({found}/{len(queries)} found something)"
    )


@pytest.mark.django_db
def test_sku_prefix_search(catalog_volume, django_assert_max_num_queries):
    product_prefixes = [code.rsplit("-", 1)[0] for code, _ in catalog_volume]  # 20 SKUs each
    shorter = [code[:-4] for code, _ in catalog_volume]  # ~200 SKUs
    exact = [code.lower() for code, _ in catalog_volume]
    _time("SKU exact code", exact)
    _time("SKU prefix (20 matches)", product_prefixes)
    _time("SKU prefix (~200 matches)", shorter)
    with django_assert_max_num_queries(10):
        assert len(list(find_catalog_items(query=shorter[0]))) == 20


@pytest.mark.django_db
def test_fuzzy_name_search(catalog_volume, django_assert_max_num_queries):
    rng = random.Random(11)
    misspelled = [_misspell(name, rng) for _, name in catalog_volume]
    _time("fuzzy name (misspelled)", misspelled)
    _time(
        "name words, buyable only",
        [" ".join(n.split()[:2]) for _, n in catalog_volume],
        buyable_only=True,
    )
    with django_assert_max_num_queries(10):
        list(find_catalog_items(query=misspelled[0]))


@pytest.mark.django_db
def test_find_item_http_response(catalog_volume, client, csr):
    client.force_login(csr)
    rng = random.Random(5)
    queries = [c.rsplit("-", 1)[0] for c, _ in catalog_volume[: ROUNDS // 2]] + [
        _misspell(n, rng) for _, n in catalog_volume[ROUNDS // 2 :]
    ]
    times = []
    for q in queries:
        started = time.perf_counter()
        response = client.get(
            "/catalog/", {"q": q}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-results"
        )
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    times.sort()
    print(
        f"\n  {'/catalog/ htmx response (mixed)':<34} {SKUS:>9,} SKUs  median "
        f"{statistics.median(times):6.2f} ms  p95 {times[int(len(times) * 0.95) - 1]:6.2f} ms"
    )

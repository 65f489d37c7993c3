"""Auction bid benchmark (BENCH=1; PostgreSQL):

    BENCH=1 .venv/bin/pytest tests/bench/test_auctions_bid.py -s

An open-cry auction holding BENCH_AUCTION_BIDS plain bids (default 10,000) and
BENCH_AUCTION_AUTOBIDS autobids (default 500), one active bid per customer. Each round a CSR
places the next bid for a caller through `place_bid` (permission, row lock, increment check,
the customer's previous bid replaced, the proxy's response, events, outbid e-mail queued).
Target (issue 19): median < 20 ms. Prints median and p95 wall and CPU time; asserts none.
"""

import os
import statistics
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BIDS = int(os.environ.get("BENCH_AUCTION_BIDS", "10000"))
AUTOBIDS = int(os.environ.get("BENCH_AUCTION_AUTOBIDS", "500"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))


def report(label, times, size):
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"\n  {label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
        f"({len(times)} rounds; {size})"
    )


def _crowd(found, store_admin):
    """Customers and their one active bid each, bulk-inserted (test data, not a write path)."""
    from auctions.models import Bid
    from customers.models import Customer

    password = make_password("bench-pass-1")
    customers = Customer.objects.bulk_create(
        Customer(
            logon_id=f"bidder{i}@bench.example",
            password=password,
            first_name="Bench",
            last_name=f"Bidder{i}",
            email=f"bidder{i}@bench.example",
        )
        for i in range(BIDS + AUTOBIDS)
    )
    now = timezone.now() - timedelta(minutes=30)
    rows = []
    for i, customer in enumerate(customers[:BIDS]):
        price = Decimal("10.00") + i
        rows.append(
            Bid(auction=found, customer=customer, price=price, max_price=price, placed_at=now)
        )
    # autobids above every plain bid; the last one's maximum far above the others', so it
    # answers every round's bid
    top = Decimal("10.00") + BIDS
    for i, customer in enumerate(customers[BIDS:]):
        ceiling = Decimal("1000000000.00") if i == AUTOBIDS - 1 else top + 10 + i
        rows.append(
            Bid(
                auction=found,
                customer=customer,
                price=top,
                max_price=ceiling,
                is_autobid=True,
                placed_at=now,
            )
        )
    Bid.objects.bulk_create(rows, batch_size=2000)


def test_a_bid_on_a_crowded_auction(store_admin, csr, django_capture_on_commit_callbacks):
    from auctions import services
    from auctions.models import Auction
    from tests.auctions.factories import auction, bidder

    found = auction(store_admin, increments=[["0", "1.00"], ["1000", "5.00"]])
    _crowd(found, store_admin)
    services._recompute_standing(found, None)
    Auction.objects.filter(pk=found.pk).update(
        current_price=found.current_price,
        leading_bid=found.leading_bid,
        bid_count=BIDS + AUTOBIDS,
    )
    callers = [bidder() for _ in range(8)]
    wall, cpu, queries = [], [], []
    for n in range(ROUNDS):
        who = callers[n % len(callers)]
        found.refresh_from_db()
        price = services.minimum_next_bid(found)
        w0, c0 = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as captured:
            services.place_bid(
                actor=csr,
                auction_id=found.pk,
                customer_id=who[0].pk,
                ship_to_id=who[1].pk,
                payment_method_id=who[2].pk,
                price=price,
            )
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        queries.append(len(captured))
        if n == ROUNDS - 1 and os.environ.get("BENCH_SHOW_SQL"):
            print("\n".join(q["sql"][:160] for q in captured.captured_queries))
    size = f"{BIDS:,} bids, {AUTOBIDS:,} autobids"
    report("place a bid (wall)", wall, size)
    report("place a bid (CPU)", cpu, size)
    print(f"  queries per bid: {statistics.median(queries)}")
    found.refresh_from_db()
    assert found.leading_bid.is_autobid  # the top autobid answered every bid

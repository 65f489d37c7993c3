"""100 bidders at once on one open-cry auction (PostgreSQL row locks): no bid is lost, every
accepted bid respects the increment at the moment it landed, the highest bid wins."""

import random
import threading
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db import connection

from auctions.models import Auction, Bid
from core.errors import DomainError
from tests.auctions.factories import auction, bid, bidder
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# 100 threads, but at most this many PostgreSQL sessions at once: the server allows 100
# connections and other test runs share it. Every thread still waits at the same barrier and
# its bid races the others for the auction's row lock.
SESSIONS = 20


def test_a_hundred_parallel_bidders_lose_no_bid_and_the_highest_wins(store_admin, csr):
    found = auction(store_admin, increments=[["0", "1.00"]])
    prices = [Decimal(10 + i) for i in range(100)]
    random.Random(19).shuffle(prices)
    bidders = [bidder() for _ in prices]
    sessions = threading.BoundedSemaphore(SESSIONS)

    def place(who, price):
        def job():
            with sessions:
                try:
                    return bid(csr, found, who, price=str(price)).pk
                finally:
                    connection.close()

        return job

    accepted, refused = run_together(*[place(w, p) for w, p in zip(bidders, prices, strict=True)])
    assert len(accepted) + len(refused) == 100
    assert all(isinstance(e, DomainError) and "at least" in e.message for e in refused)
    # no accepted bid is lost, and the auction counted each once
    rows = list(Bid.objects.filter(auction=found).order_by("id"))
    assert sorted(r.pk for r in rows) == sorted(accepted)
    found = Auction.objects.get(pk=found.pk)
    assert found.bid_count == len(accepted)
    # in the order they landed (ids follow the lock), each accepted bid beat the one before by
    # at least the increment
    landed = [r.price for r in rows]
    assert landed[0] >= Decimal("10.00")
    assert all(b >= a + 1 for a, b in pairwise(landed))
    # the highest price always lands; it leads, the others were replaced by nobody (one bid each)
    top = max(rows, key=lambda r: r.price)
    assert top.price == Decimal("109") and found.leading_bid_id == top.pk
    assert found.current_price == Decimal("109")
    assert {r.status for r in rows} == {"active"}


def test_two_closing_workers_close_each_auction_once(store_admin, csr):
    from datetime import timedelta

    from django.utils import timezone

    from auctions.closing import close_due_auctions
    from auctions.event_types import AuctionEventType as E
    from auctions.models import AuctionEvent
    from tests.auctions.factories import lot
    from tests.fulfillment.factories import ArrangementFactory, ShippingMethodFactory

    method = ShippingMethodFactory(code="ground")
    found = []
    for _ in range(6):
        sku, center = lot(on_hand=3)
        ArrangementFactory(center=center, shipping_method=method)
        one = auction(store_admin, sku=sku, center=center)
        bid(csr, one, bidder(), price="12.00")
        found.append(one)
    later = timezone.now() + timedelta(hours=2)

    def worker():
        try:
            return close_due_auctions(now=later)
        finally:
            connection.close()

    results, errors = run_together(worker, worker)
    assert errors == []
    assert sum(r["auctions"] for r in results) == 6
    assert sum(r["orders"] for r in results) == 6
    for one in found:
        assert AuctionEvent.objects.filter(auction=one, event_type=E.WINNERS_ASSIGNED).count() == 1
        won = Bid.objects.get(auction=one)
        assert won.status == "ordered" and won.order_id

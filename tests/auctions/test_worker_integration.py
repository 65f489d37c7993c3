"""A real Celery worker runs the beat task: the due auction closes and the winner's order is
placed (Redis broker, PostgreSQL)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from auctions import tasks
from auctions.models import Auction, Bid
from core.models import JobRun
from tests.auctions.factories import auction, bid, bidder, lot
from tests.fulfillment.factories import ArrangementFactory, ShippingMethodFactory
from tests.worker import celery_worker

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_a_worker_closes_a_due_auction_and_places_the_winners_order(
    transactional_db, store_admin, csr
):
    sku, center = lot(on_hand=4)
    ArrangementFactory(center=center, shipping_method=ShippingMethodFactory(code="ground"))
    found = auction(store_admin, sku=sku, center=center)
    bid(csr, found, bidder(), price="10.00")
    won = bid(csr, found, bidder(), max_price="25.00")
    Auction.objects.filter(pk=found.pk).update(ends_at=timezone.now() - timedelta(seconds=1))

    with celery_worker() as queue:
        result = tasks.close_due_auctions.apply_async(kwargs={"triggered_by": "test"}, queue=queue)
        counts = result.get(timeout=60)
    assert counts["auctions"] == 1 and counts["orders"] == 1
    won.refresh_from_db()
    assert won.status == "ordered" and won.order.status in ("authorized", "backordered")
    assert Bid.objects.exclude(pk=won.pk).get().status == "lost"
    assert JobRun.objects.get(job="close_auctions").triggered_by == "test"

"""Closing: the job closes due auctions once, winners become orders at the winning price,
a declined card lands on the failed list and is retried with another card."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from auctions import closing
from auctions.models import Auction, Bid
from core.errors import DomainError, NotAllowed
from core.jobs import run_job
from core.models import JobRun
from fulfillment.models import Inventory
from orders.models import OrderLine
from tests.auctions.factories import auction, bid, bidder, lot
from tests.customers.factories import PaymentMethodFactory
from tests.fulfillment.factories import ArrangementFactory, ShippingMethodFactory

pytestmark = pytest.mark.django_db

D = Decimal
LATER = timedelta(hours=2)


@pytest.fixture
def shipping(db):
    method = ShippingMethodFactory(code="ground")
    return method


def _ships(center, method):
    ArrangementFactory(center=center, shipping_method=method)


def test_the_job_closes_a_due_auction_and_places_the_winners_order(
    store_admin, csr, shipping, mailoutbox
):
    sku, center = lot(on_hand=10)
    _ships(center, shipping)
    found = auction(store_admin, sku=sku, center=center, quantity=2)
    alice, bob = bidder(), bidder()
    bid(csr, found, alice, price="10.00", quantity=2)
    win = bid(csr, found, bob, max_price="40.00", quantity=2)
    assert run_job("close_auctions", triggered_by="test", now=timezone.now())["auctions"] == 0
    counts = run_job("close_auctions", triggered_by="test", now=timezone.now() + LATER)
    assert counts["auctions"] == 1 and counts["orders"] == 1
    found.refresh_from_db()
    win.refresh_from_db()
    assert found.status == "closed" and found.reserved_quantity == 0
    assert win.status == "ordered" and win.won_price == D("11.00") and win.won_quantity == 2
    line = OrderLine.objects.get(order=win.order)
    assert line.unit_price == D("11.00") and line.quantity == 2
    assert win.order.status in ("authorized", "backordered") and win.order.number
    assert Bid.objects.exclude(pk=win.pk).get().status == "lost"
    # the won units are allocated to the order; nothing else is held
    assert Inventory.objects.get(sku=sku, center=center).allocated == 2
    assert JobRun.objects.filter(job="close_auctions", status="done").count() == 2
    # closing again does nothing
    assert closing.close_due_auctions(now=timezone.now() + LATER)["auctions"] == 0


def test_unwon_quantity_goes_back_to_atp_and_dutch_winners_pay_one_price(
    store_admin, csr, shipping
):
    sku, center = lot(on_hand=20)
    _ships(center, shipping)
    found = auction(store_admin, sku=sku, center=center, quantity=10, auction_type="dutch")
    a = bid(csr, found, bidder(), price="15.00", quantity=4)
    b = bid(csr, found, bidder(), price="12.00", quantity=3)
    assert Inventory.objects.get(sku=sku).available == 10
    closing.close_due_auctions(now=timezone.now() + LATER)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.won_price == b.won_price == D("12.00")
    assert Auction.objects.get(pk=found.pk).clearing_price == D("12.00")
    assert OrderLine.objects.get(order=a.order).unit_price == D("12.00")
    row = Inventory.objects.get(sku=sku)
    assert row.allocated == 7 and row.available == 13  # 3 unwon units back on sale


def test_a_declined_card_puts_the_bid_on_the_failed_list_and_another_card_places_it(
    store_admin, csr, supervisor, shipping
):
    sku, center = lot(on_hand=5)
    _ships(center, shipping)
    found = auction(store_admin, sku=sku, center=center)
    customer, address, _card = who = bidder()
    declined = PaymentMethodFactory(
        customer=customer, billing_address=address, gateway_token="sbx_decline_1"
    )
    win = bid(csr, found, (customer, address, declined), price="25.00")
    del who
    result = closing.force_close(actor=supervisor, auction_id=found.pk)
    assert result == {"winners": 1, "orders": 0, "failed": 1}
    win.refresh_from_db()
    assert win.status == "failed" and "declined" in win.order_error.lower()
    assert win.order.status == "pending"
    good = PaymentMethodFactory(customer=customer, billing_address=address)
    assert closing.retry_failed_bid(actor=csr, bid_id=win.pk, payment_method_id=good.pk)
    win.refresh_from_db()
    assert win.status == "ordered" and win.order.status in ("authorized", "backordered")
    with pytest.raises(DomainError):
        closing.retry_failed_bid(actor=csr, bid_id=win.pk, payment_method_id=good.pk)


def test_force_close_needs_a_supervisor_and_a_scheduled_auction(store_admin, csr, supervisor):
    found = auction(store_admin)
    with pytest.raises(NotAllowed):
        closing.force_close(actor=csr, auction_id=found.pk)
    assert closing.force_close(actor=supervisor, auction_id=found.pk)["winners"] == 0
    with pytest.raises(DomainError, match="Only a scheduled"):
        closing.force_close(actor=supervisor, auction_id=found.pk)
    assert Inventory.objects.get(sku=found.sku).allocated == 0


def test_the_reserve_price_keeps_the_lot(store_admin, csr):
    found = auction(store_admin, reserve_price="50.00")
    low = bid(csr, found, bidder(), price="30.00")
    call_command("close_auctions", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Auction.objects.get(pk=found.pk).status == "scheduled"  # not due yet
    Auction.objects.filter(pk=found.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    call_command("close_auctions", stdout=open("/dev/null", "w"))  # noqa: SIM115
    low.refresh_from_db()
    assert low.status == "lost" and Inventory.objects.get(sku=found.sku).allocated == 0


def test_the_close_job_is_registered_and_on_beat(settings):
    from core.jobs import get_job

    job = get_job("close_auctions")
    assert job is not None and job.task == "auctions.close_due_auctions"
    assert job.schedule == "every 1 min"


def test_the_operations_screen_lists_the_close_job(client, operations):
    client.force_login(operations)
    page = client.get("/fulfillment/ops/")
    assert page.status_code == 200 and "Close auctions" in page.content.decode()


def test_closing_many_losing_bids_takes_a_fixed_number_of_queries(
    store_admin, csr, supervisor, django_assert_max_num_queries
):
    found = auction(store_admin, auction_type="sealed")
    for n in range(12):
        bid(csr, found, bidder(), price=f"{20 + n}.00")
    with django_assert_max_num_queries(20):
        winners = closing._force_close_locked(supervisor, found.pk)
    assert len(winners) == 1
    assert Bid.objects.filter(auction=found, status="lost").count() == 11

"""Auctions' write paths: reservation from ATP, bid rules, proxy bidding, outbid e-mail,
withdrawals, the extending close."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions import services
from auctions.event_types import AuctionEventType as E
from auctions.models import Auction, AuctionEvent, Bid
from core.errors import DomainError, NotAllowed
from fulfillment.models import Inventory
from tests.auctions.factories import auction, bid, bidder, lot

pytestmark = pytest.mark.django_db

D = Decimal


def test_scheduling_reserves_the_lot_from_atp_and_canceling_gives_it_back(store_admin):
    sku, center = lot(on_hand=20)
    found = auction(store_admin, sku=sku, center=center, quantity=8)
    row = Inventory.objects.get(sku=sku, center=center)
    assert row.allocated == 8 and row.available == 12
    assert found.status == "scheduled" and found.reserved_quantity == 8
    services.cancel_auction(actor=store_admin, auction_id=found.pk, reason="wrong lot")
    assert Inventory.objects.get(pk=row.pk).allocated == 0
    assert Auction.objects.get(pk=found.pk).status == "canceled"


def test_cannot_reserve_more_than_available(store_admin):
    sku, center = lot(on_hand=3)
    with pytest.raises(DomainError, match="Only 3 available"):
        auction(store_admin, sku=sku, center=center, quantity=4)
    assert Inventory.objects.get(sku=sku).allocated == 0


def test_only_store_admins_create_auctions(csr):
    sku, center = lot()
    with pytest.raises(NotAllowed):
        auction(csr, sku=sku, center=center)


def test_bids_must_respect_the_increment_band_when_they_land(store_admin, csr):
    found = auction(store_admin)
    alice, bob = bidder(), bidder()
    with pytest.raises(DomainError, match=r"at least 10.00"):
        bid(csr, found, alice, price="9.99")
    bid(csr, found, alice, price="99.50")
    with pytest.raises(DomainError, match=r"at least 100.50"):
        bid(csr, found, bob, price="100.00")
    b = bid(csr, found, bob, price="100.50")
    # over 100 the band's increment is 5.00
    with pytest.raises(DomainError, match=r"at least 105.50"):
        bid(csr, found, alice, price="105.00")
    found.refresh_from_db()
    assert found.current_price == D("100.50") and found.leading_bid_id == b.pk
    assert found.bid_count == 2


def test_autobid_raises_by_the_increment_up_to_its_maximum(store_admin, csr):
    found = auction(store_admin)
    alice, bob = bidder(), bidder()
    auto = bid(csr, found, alice, max_price="50.00")
    assert auto.price == D("10.00")  # alone, it stands at the minimum bid
    bid(csr, found, bob, price="20.00")
    auto.refresh_from_db()
    found.refresh_from_db()
    assert auto.price == D("21.00") and found.leading_bid_id == auto.pk
    over = bid(csr, found, bob, price="60.00")
    auto.refresh_from_db()
    found.refresh_from_db()
    assert auto.price == D("50.00") and found.leading_bid_id == over.pk
    assert found.current_price == D("60.00")


def test_two_autobids_resolve_at_the_others_maximum_plus_one_increment(store_admin, csr):
    found = auction(store_admin)
    alice, bob = bidder(), bidder()
    first = bid(csr, found, alice, max_price="40.00")
    second = bid(csr, found, bob, max_price="75.00")
    found.refresh_from_db()
    first.refresh_from_db()
    assert found.leading_bid_id == second.pk and found.current_price == D("41.00")
    assert first.price == D("40.00")
    # an equal maximum: the earlier autobid keeps the lead, at its maximum
    third = bid(csr, found, alice, max_price="75.00")
    found.refresh_from_db()
    assert found.leading_bid_id == second.pk and found.current_price == D("75.00")
    assert Bid.objects.get(pk=first.pk).status == "replaced"
    assert Bid.objects.get(pk=third.pk).price == D("75.00")


def test_the_outbid_customer_gets_one_email(
    store_admin, csr, mailoutbox, django_capture_on_commit_callbacks
):
    found = auction(store_admin)
    alice, bob = bidder(email="alice@example.com"), bidder(email="bob@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        first = bid(csr, found, alice, price="10.00")
        bid(csr, found, bob, price="11.00")
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert "outbid" in mailoutbox[0].subject
    assert AuctionEvent.objects.filter(bid=first, event_type=E.OUTBID_EMAILED).exists()
    assert services.outbid_email_send(bid_id=first.pk) is False  # once per bid


def test_withdrawal_needs_a_supervisor_and_a_reason_and_recomputes_the_standing(
    store_admin, csr, supervisor
):
    found = auction(store_admin)
    alice, bob = bidder(), bidder()
    auto = bid(csr, found, alice, max_price="30.00")
    top = bid(csr, found, bob, price="45.00")
    with pytest.raises(NotAllowed):
        services.withdraw_bid(actor=csr, bid_id=top.pk, reason="caller mistake")
    with pytest.raises(DomainError, match="Say why"):
        services.withdraw_bid(actor=supervisor, bid_id=top.pk, reason=" ")
    services.withdraw_bid(actor=supervisor, bid_id=top.pk, reason="caller mistake")
    found.refresh_from_db()
    assert found.leading_bid_id == auto.pk and found.current_price == D("10.00")
    top.refresh_from_db()
    assert top.status == "withdrawn" and top.withdrawn_reason == "caller mistake"
    assert AuctionEvent.objects.filter(bid=top, event_type=E.BID_WITHDRAWN).exists()


def test_a_late_bid_extends_an_extending_auction(store_admin, csr):
    found = auction(store_admin, ends_in=60, closing_rule="extend", extend_minutes=5)
    before = found.ends_at
    bid(csr, found, bidder(), price="10.00")
    found.refresh_from_db()
    assert found.ends_at > before + timedelta(minutes=3)
    fixed = auction(store_admin, ends_in=60)
    bid(csr, fixed, bidder(), price="10.00")
    assert Auction.objects.get(pk=fixed.pk).ends_at == fixed.ends_at


def test_bids_outside_the_auction_window_or_with_anothers_card_are_refused(store_admin, csr):
    later = auction(store_admin, starts_in=600)
    with pytest.raises(DomainError, match="opens at"):
        bid(csr, later, bidder(), price="10.00")
    found = auction(store_admin)
    alice, bob = bidder(), bidder()
    with pytest.raises(DomainError, match="stored cards"):
        services.place_bid(
            actor=csr,
            auction_id=found.pk,
            customer_id=alice[0].pk,
            ship_to_id=alice[1].pk,
            payment_method_id=bob[2].pk,
            price="10.00",
        )
    sealed = auction(store_admin, auction_type="sealed")
    with pytest.raises(DomainError, match="Autobids are for open cry"):
        bid(csr, sealed, alice, max_price="20.00")
    ended = auction(store_admin, starts_in=-120, ends_in=-1)
    with pytest.raises(DomainError, match="ended"):
        bid(csr, ended, alice, price="10.00", now=timezone.now())


def test_a_dutch_bid_checks_the_minimum_quantity(store_admin, csr):
    found = auction(store_admin, auction_type="dutch", quantity=10, minimum_quantity=2)
    with pytest.raises(DomainError, match="2 to 10 units"):
        bid(csr, found, bidder(), price="12.00", quantity=1)
    placed = bid(csr, found, bidder(), price="12.00", quantity=3, accept_partial=True)
    assert placed.quantity == 3 and Auction.objects.get(pk=found.pk).current_price is None


def test_anomalies_flag_a_shared_card_and_a_bid_far_above_into_the_queue(
    store_admin, csr, supervisor
):
    from auctions import anomalies, selectors
    from auctions.models import AuctionSettings
    from tests.customers.factories import PaymentMethodFactory

    AuctionSettings.objects.create(pk=1, flag_shared_card=True, flag_above_percent=100)
    found = auction(store_admin)
    alice, bob = bidder(), bidder()
    bid(csr, found, alice, price="10.00")
    same_card = PaymentMethodFactory(
        customer=bob[0], billing_address=bob[1], brand="visa", last4="4242"
    )
    flagged = bid(csr, found, (bob[0], bob[1], same_card), price="11.00")
    far = bid(csr, found, bidder(), max_price="30.00")  # needed 12.00; 100% above is 24.00
    queue = list(selectors.open_flags())
    assert [(f.bid_id, f.rule) for f in queue] == [
        (flagged.pk, "shared_card"),
        (far.pk, "shared_card"),  # every factory card is visa 4242 12/2030
        (far.pk, "far_above"),
    ]
    assert Bid.objects.get(pk=far.pk).status == "active"  # flags never refuse a bid
    with pytest.raises(NotAllowed):
        anomalies.clear_flag(actor=csr, flag_id=queue[0].pk, note="same household")
    anomalies.clear_flag(actor=supervisor, flag_id=queue[0].pk, note="same household")
    assert len(selectors.open_flags()) == 2
    assert AuctionEvent.objects.filter(event_type=E.BID_FLAG_CLEARED).count() == 1

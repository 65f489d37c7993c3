"""The auctions screens: the list with time left, the auction page (bid, autobid, standing),
supervisors' withdraw and force-close, the failed-bids list, a customer's bids, the admin."""

from decimal import Decimal

import pytest

from auctions.models import Auction, Bid
from tests.auctions.factories import auction, bid, bidder, lot
from tests.customers.factories import PaymentMethodFactory
from tests.fulfillment.factories import ArrangementFactory, ShippingMethodFactory

pytestmark = pytest.mark.django_db


def test_the_list_shows_time_left_in_a_fixed_number_of_queries(
    client, store_admin, csr, django_assert_max_num_queries
):
    for _ in range(3):
        found = auction(store_admin)
        bid(csr, found, bidder(), price="10.00")
    client.force_login(csr)
    with django_assert_max_num_queries(12):
        page = client.get("/auctions/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("data-row>") == 3 and "59m" in body
    assert "Auctions <kbd>8</kbd>" in body  # in the top bar


def test_a_csr_bids_and_autobids_for_customers_on_the_auction_page(
    client, store_admin, csr, django_assert_max_num_queries
):
    found = auction(store_admin)
    alice, bob = bidder(), bidder()
    client.force_login(csr)
    with django_assert_max_num_queries(16):
        page = client.get(f"/auctions/{found.pk}/", {"customer": alice[0].logon_id})
    assert 'id="bid-form"' in page.content.decode() and "no bid yet" in page.content.decode()

    def post(who, **terms):
        data = {"customer": who[0].pk, "ship_to": who[1].pk, "payment_method": who[2].pk}
        data.update({"quantity": 1, **terms})
        return client.post(f"/auctions/{found.pk}/bid/", data, follow=True)

    post(alice, max_price="30.00")
    shown = post(bob, price="15.00").content.decode()
    assert "Outbid at once" in shown
    found.refresh_from_db()
    assert found.current_price == Decimal("16.00")
    assert 'class="standing-outbid"' in shown
    low = post(bob, price="16.00").content.decode()
    assert "at least 17.00" in low
    page = client.get(f"/auctions/{found.pk}/", {"customer": alice[0].pk}).content.decode()
    assert 'class="standing-leading"' in page
    assert "Force-close" not in page and "Withdraw" not in page  # supervisors only


def test_supervisors_withdraw_and_force_close_from_the_page(client, store_admin, csr, supervisor):
    sku, center = lot()
    ArrangementFactory(center=center, shipping_method=ShippingMethodFactory(code="ground"))
    found = auction(store_admin, sku=sku, center=center)
    first = bid(csr, found, bidder(), price="10.00")
    second = bid(csr, found, bidder(), price="20.00")
    client.force_login(csr)
    assert client.post(f"/auctions/{found.pk}/force-close/").status_code == 403
    client.force_login(supervisor)
    client.post(f"/auctions/bids/{second.pk}/withdraw/", {"reason": "test call"})
    assert Bid.objects.get(pk=second.pk).status == "withdrawn"
    page = client.post(f"/auctions/{found.pk}/force-close/", follow=True).content.decode()
    assert "1 winning bids: 1 orders placed" in page
    assert Auction.objects.get(pk=found.pk).status == "closed"
    assert Bid.objects.get(pk=first.pk).status == "ordered" and 'class="won-order"' in page


def test_the_failed_list_retries_with_another_card(client, store_admin, csr, supervisor):
    sku, center = lot()
    ArrangementFactory(center=center, shipping_method=ShippingMethodFactory(code="ground"))
    found = auction(store_admin, sku=sku, center=center)
    customer, address, _ = bidder()
    bad = PaymentMethodFactory(
        customer=customer, billing_address=address, gateway_token="sbx_decline_2"
    )
    won = bid(csr, found, (customer, address, bad), price="10.00")
    client.force_login(supervisor)
    client.post(f"/auctions/{found.pk}/force-close/")
    client.force_login(csr)
    page = client.get("/auctions/failed/").content.decode()
    assert "declined" in page.lower() and "Failed winning bids" in page
    good = PaymentMethodFactory(customer=customer, billing_address=address)
    client.post(f"/auctions/bids/{won.pk}/retry/", {"payment_method": good.pk})
    assert Bid.objects.get(pk=won.pk).status == "ordered"
    bids = client.get(f"/auctions/customer/{customer.pk}/").content.decode()
    assert "Won, order placed" in bids


def test_store_admins_create_auctions_in_the_admin(client, store_admin):
    sku, center = lot(on_hand=4)
    client.force_login(store_admin)
    assert client.get("/admin/auctions/auction/").status_code == 200
    made = client.post(
        "/admin/auctions/auction/add/",
        {
            "title": "Admin lot",
            "sku": sku.pk,
            "center": center.pk,
            "quantity": 2,
            "auction_type": "sealed",
            "minimum_bid": "5.00",
            "minimum_quantity": 1,
            "increments": "[]",
            "starts_at_0": "2030-01-01",
            "starts_at_1": "10:00",
            "ends_at_0": "2030-01-02",
            "ends_at_1": "10:00",
            "closing_rule": "fixed",
            "extend_minutes": 0,
            "bids-TOTAL_FORMS": 0,
            "bids-INITIAL_FORMS": 0,
        },
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    found = Auction.objects.get(title="Admin lot")
    assert found.status == "draft" and found.events.count() == 1
    client.post(
        "/admin/auctions/auction/",
        {"action": "schedule", "_selected_action": [found.pk]},
    )
    assert Auction.objects.get(pk=found.pk).status == "scheduled"


def test_the_customer_page_loads_the_customers_bids(client, store_admin, csr):
    found = auction(store_admin, title="Desk lamp lot")
    who = bidder()
    bid(csr, found, who, price="10.00")
    client.force_login(csr)
    page = client.get(f"/customers/{who[0].pk}/").content.decode()
    assert f'hx-get="/auctions/customer/{who[0].pk}/"' in page
    part = client.get(f"/auctions/customer/{who[0].pk}/", headers={"HX-Request": "true"})
    body = part.content.decode()
    assert "Desk lamp lot" in body and "<html" not in body


def test_supervisors_clear_flags_in_the_anomaly_queue(
    client, store_admin, csr, supervisor, django_assert_max_num_queries
):
    from auctions.models import BidFlag

    found = auction(store_admin)
    bid(csr, found, bidder(), max_price="500.00")  # far above the 10.00 minimum
    flag = BidFlag.objects.get()
    client.force_login(csr)
    assert client.get("/auctions/anomalies/").status_code == 403
    client.force_login(supervisor)
    with django_assert_max_num_queries(10):
        page = client.get("/auctions/anomalies/")
    assert "Far above the price" in page.content.decode()
    client.post(f"/auctions/anomalies/{flag.pk}/clear/", {"note": "regular collector"})
    assert BidFlag.objects.get().clear_note == "regular collector"

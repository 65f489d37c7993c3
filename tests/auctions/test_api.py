"""The auctions API per role: store admins create and schedule, CSRs bid, supervisors
withdraw and force-close; sealed bids stay hidden from CSRs; the schema lists it all."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.auctions.factories import auction, bidder, lot
from tests.fulfillment.factories import ArrangementFactory, ShippingMethodFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/auctions/"


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_a_store_admin_creates_and_schedules_an_auction(api_client, store_admin, csr):
    sku, center = lot(on_hand=5)
    now = timezone.now()
    body = {
        "sku": sku.code,
        "center": center.code,
        "quantity": 3,
        "auction_type": "open_cry",
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "minimum_bid": "5.00",
        "increments": [["0", "0.50"], ["50", "2.00"]],
        "schedule": True,
    }
    made = as_user(api_client, store_admin).post(API, body, format="json")
    assert made.status_code == 201, made.data
    assert made.data["status"] == "scheduled" and made.data["reserved_quantity"] == 3
    assert made.data["increments"] == [["0.00", "0.50"], ["50.00", "2.00"]]
    as_user(api_client, csr)
    assert api_client.post(API, body, format="json").status_code == 403
    listed = api_client.get(API, {"status": "scheduled"}).data["results"]
    assert [a["id"] for a in listed] == [made.data["id"]] and listed[0]["time_left"].endswith("s")
    assert api_client.get(API, {"status": "nonsense"}).status_code == 400


def test_csrs_bid_supervisors_withdraw_and_force_close(
    api_client, store_admin, csr, supervisor, nobody
):
    sku, center = lot()
    ArrangementFactory(center=center, shipping_method=ShippingMethodFactory(code="ground"))
    found = auction(store_admin, sku=sku, center=center)
    alice, bob = bidder(), bidder()

    def terms(who, **more):
        return {"customer": who[0].pk, "ship_to": who[1].pk, "payment_method": who[2].pk, **more}

    client = as_user(api_client, csr)
    url = f"{API}{found.pk}/bids/"
    first = client.post(url, terms(alice, max_price="30.00"), format="json")
    assert first.status_code == 201 and first.data["is_autobid"]
    low = client.post(url, terms(bob, price="10.50"), format="json")
    assert low.status_code == 400 and "at least 11.00" in low.data["fields"]["price"][0]
    both = client.post(url, terms(bob, price="12", max_price="20"), format="json")
    assert both.status_code == 400
    second = client.post(url, terms(bob, price="11.00"), format="json")
    assert second.status_code == 201
    detail = client.get(f"{API}{found.pk}/").data
    assert detail["current_price"] == "12.00" and detail["leading_bid"] == first.data["id"]
    assert len(client.get(url).data) == 2
    withdraw = f"{API}bids/{first.data['id']}/withdraw/"
    assert client.post(withdraw, {"reason": "x"}, format="json").status_code == 403
    client = as_user(api_client, supervisor)
    assert client.post(withdraw, {"reason": "duplicate account"}, format="json").status_code == 200
    closed = client.post(f"{API}{found.pk}/force-close/")
    assert closed.status_code == 200 and closed.data == {"winners": 1, "orders": 1, "failed": 0}
    assert client.post(f"{API}{found.pk}/force-close/").status_code == 400
    as_user(api_client, nobody)
    assert api_client.get(API).status_code == 403


def test_sealed_bids_are_hidden_from_csrs_until_the_close(api_client, store_admin, csr, supervisor):
    found = auction(store_admin, auction_type="sealed")
    who = bidder()
    client = as_user(api_client, csr)
    placed = client.post(
        f"{API}{found.pk}/bids/",
        {"customer": who[0].pk, "ship_to": who[1].pk, "payment_method": who[2].pk, "price": "40"},
        format="json",
    )
    assert placed.status_code == 201
    assert client.get(f"{API}{found.pk}/bids/").data == []
    assert len(as_user(api_client, supervisor).get(f"{API}{found.pk}/bids/").data) == 1


def test_the_schema_documents_the_auctions_api(api_client, store_admin):
    schema = as_user(api_client, store_admin).get("/api/schema/?format=json").json()
    bids = schema["paths"]["/api/v1/auctions/{id}/bids/"]["post"]
    assert {"201", "400", "403", "409"} <= set(bids["responses"])
    assert "/api/v1/auctions/{id}/force-close/" in schema["paths"]
    assert "/api/v1/auctions/failed-bids/" in schema["paths"]

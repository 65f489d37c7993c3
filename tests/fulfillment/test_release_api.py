"""API for a warehouse system: releases, ship confirmation with tracking, ship history."""

import pytest

from fulfillment.models import Release, Shipment
from fulfillment.releases import run_release
from orders.models import Order
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import ArrangementFactory, stock
from tests.fulfillment.release_helpers import accepted_order


@pytest.fixture
def release(db, tor, ground, operations):
    ArrangementFactory(center=tor, shipping_method=ground)
    a, b = SKUFactory(code="A-1"), SKUFactory(code="B-1")
    stock(a, tor, 10)
    stock(b, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2), (b, 1)])
    run_release()
    return Release.objects.get(order=order)


@pytest.fixture
def api(api_client, operations):
    api_client.force_authenticate(operations)
    return api_client


def test_list_and_read_releases(api, release):
    data = api.get("/api/v1/releases/?status=released&center=TOR").json()
    assert [r["number"] for r in data["results"]] == [release.number]
    one = api.get(f"/api/v1/releases/{release.pk}/").json()
    assert one["center"] == "TOR" and one["ship_to"]["city"] == "Toronto"
    assert sorted((x["sku"], x["open_quantity"]) for x in one["lines"]) == [("A-1", 2), ("B-1", 1)]
    assert api.get("/api/v1/releases/?status=shipped").json()["results"] == []


def test_post_tracking_numbers_partially_then_the_rest(api, release):
    rl = {x.sku.code: x for x in release.lines.all()}
    first = api.post(
        f"/api/v1/releases/{release.pk}/shipments/",
        {
            "carrier": "UPS",
            "tracking_number": "1Z1",
            "lines": [{"release_line": rl["A-1"].pk, "quantity": 2}],
        },
        format="json",
    )
    assert first.status_code == 201, first.json()
    assert first.json()["capture_status"] == "captured" and first.json()["amount"] == "20.00"
    again = api.post(
        f"/api/v1/releases/{release.pk}/shipments/",
        {
            "carrier": "UPS",
            "tracking_number": "1Z1",
            "lines": [{"release_line": rl["B-1"].pk, "quantity": 1}],
        },
        format="json",
    )
    assert again.status_code == 400 and "already confirmed" in again.json()["message"]
    too_many = api.post(
        f"/api/v1/releases/{release.pk}/shipments/",
        {
            "carrier": "UPS",
            "tracking_number": "1Z2",
            "lines": [{"release_line": rl["B-1"].pk, "quantity": 2}],
        },
        format="json",
    )
    assert too_many.status_code == 400 and "Only 1 of B-1" in too_many.json()["message"]
    rest = api.post(
        f"/api/v1/releases/{release.pk}/shipments/",
        {"carrier": "UPS", "tracking_number": "1Z2"},
        format="json",
    )
    assert rest.status_code == 201
    assert Order.objects.get(pk=release.order_id).status == "shipped"
    history = api.get(f"/api/v1/shipments/?order={release.order.number}").json()["results"]
    assert sorted(s["tracking_number"] for s in history) == ["1Z1", "1Z2"]


def test_unknown_release_and_bad_input(api, release):
    response = api.post(
        "/api/v1/releases/999999/shipments/", {"carrier": "UPS", "tracking_number": "X"}
    )
    assert response.status_code == 404 and "does not exist" in response.json()["message"]
    response = api.post(f"/api/v1/releases/{release.pk}/shipments/", {"carrier": "UPS"})
    assert response.status_code == 400 and "tracking_number" in response.json()["fields"]
    assert not Shipment.objects.exists()


def test_retry_capture_endpoint(api, release):
    response = api.post(
        f"/api/v1/releases/{release.pk}/shipments/",
        {"carrier": "UPS", "tracking_number": "1Z1"},
        format="json",
    )
    shipment = response.json()["id"]
    again = api.post(f"/api/v1/shipments/{shipment}/capture/")
    assert again.status_code == 200 and again.json()["capture_status"] == "captured"
    assert api.post("/api/v1/shipments/999999/capture/").status_code == 404


def test_a_csr_cannot_use_the_warehouse_api(api_client, csr, release):
    api_client.force_authenticate(csr)
    assert api_client.get("/api/v1/releases/").status_code == 403

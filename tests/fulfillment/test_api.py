"""The inventory API: lists with filters, adjustments, expected inventory, receiving."""

import pytest

from fulfillment.models import Inventory
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import VendorFactory, expect, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(api_client, operations):
    api_client.force_authenticate(operations)
    return api_client


def test_inventory_list_filters(ops_client, tor, van, django_assert_max_num_queries):
    a, b = SKUFactory(code="PEN-1"), SKUFactory(code="INK-1")
    stock(a, tor, 5)
    stock(a, van, 0)
    stock(b, tor, 2)
    with django_assert_max_num_queries(6):
        body = ops_client.get("/api/v1/inventory/", {"sku": "pen-1"}).json()
    assert [(r["center"], r["available"]) for r in body["results"]] == [("TOR", 5), ("VAN", 0)]
    body = ops_client.get("/api/v1/inventory/", {"center": "TOR", "available_lte": 2}).json()
    assert [r["sku"] for r in body["results"]] == ["INK-1"]
    assert ops_client.get("/api/v1/inventory/centers/").json()["count"] == 2


def test_adjust_via_api_and_refusal_format(ops_client, tor, sku):
    stock(sku, tor, 1)
    ok = ops_client.post(
        "/api/v1/inventory/adjustments/",
        {"sku": sku.code, "center": "TOR", "quantity": 4, "reason": "found", "note": "shelf"},
    )
    assert ok.status_code == 201 and ok.json()["on_hand_after"] == 5
    bad = ops_client.post(
        "/api/v1/inventory/adjustments/",
        {"sku": sku.code, "center": "TOR", "quantity": -9, "reason": "lost"},
    )
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"quantity": [bad.json()["message"]]}
    unknown = ops_client.post(
        "/api/v1/inventory/adjustments/",
        {"sku": "NOPE", "center": "TOR", "quantity": 1, "reason": "lost"},
    )
    assert unknown.status_code == 404 and "no SKU NOPE" in unknown.json()["message"]
    assert Inventory.objects.get(sku=sku).on_hand == 5
    listed = ops_client.get("/api/v1/inventory/adjustments/", {"sku": sku.code}).json()
    assert listed["count"] == 1


def test_expected_and_receive(ops_client, tor, sku):
    VendorFactory(code="ACME")
    created = ops_client.post(
        "/api/v1/inventory/expected/",
        {
            "vendor": "ACME",
            "sku": sku.code,
            "center": "TOR",
            "quantity": 6,
            "expected_date": "2030-01-02",
            "reference": "PO-9",
        },
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    too_many = ops_client.post(f"/api/v1/inventory/expected/{pk}/receive/", {"quantity": 7})
    assert too_many.status_code == 400 and "Only 6" in too_many.json()["message"]
    ok = ops_client.post(f"/api/v1/inventory/expected/{pk}/receive/", {"quantity": 6})
    assert ok.status_code == 201
    assert ops_client.get("/api/v1/inventory/expected/", {"open": "true"}).json()["count"] == 0


def test_permissions(api_client, csr, store_admin, tor, sku):
    api_client.force_authenticate(csr)
    assert api_client.get("/api/v1/inventory/").status_code == 403
    expect(sku, tor, 3)
    got = api_client.get("/api/v1/inventory/availability/", {"sku_ids": str(sku.pk)})
    assert got.status_code == 200
    assert got.json()["results"][0]["expected_quantity"] == 3
    assert api_client.get("/api/v1/inventory/availability/", {"sku_ids": "x"}).status_code == 400
    api_client.force_authenticate(store_admin)
    assert api_client.get("/api/v1/inventory/").status_code == 200

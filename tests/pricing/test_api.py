"""The pricing API: quote, and CRUD for store admins with the models' validation."""

from decimal import Decimal

import pytest

from pricing import models as m
from tests.customers.factories import CustomerFactory
from tests.pricing.factories import PromotionFactory


@pytest.fixture
def desk_api(api_client, csr):
    api_client.force_authenticate(csr)
    return api_client


@pytest.fixture
def admin_api(api_client, store_admin):
    api_client.force_authenticate(store_admin)
    return api_client


def test_quote_prices_and_explains(desk_api, store):
    PromotionFactory(name="Spring", code="SPRING15", percent=Decimal("15"))
    PromotionFactory(
        name="Free shipping over 50.00", reward=m.Reward.SHIPPING_FREE, percent=None, min_amount=50
    )
    response = desk_api.post(
        "/api/v1/pricing/quote",
        {
            "items": [{"sku": "NB-A5", "quantity": 2}, {"sku": "PEN-BLK", "quantity": 4}],
            "codes": ["spring15"],
            "ship_to": {"country": "CA", "region": "ON", "shipping_method": store.ground.code},
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    body = response.json()
    assert body["subtotal"] == "34.00"
    assert body["discount_total"] == "5.10"
    assert body["shipping_total"] == "8.00"
    assert [a["name"] for a in body["explanation"]["applied"]] == ["Spring"]
    assert body["explanation"]["near_misses"][0]["message"] == (
        "Add 21.10 more for “Free shipping over 50.00”."
    )
    assert body["total"] == str(
        Decimal(body["subtotal"])
        - Decimal(body["discount_total"])
        + Decimal("8.00")
        + Decimal(body["tax_total"])
    )


def test_quote_refuses_unknown_skus_and_needs_the_desk(desk_api, api_client, store, nobody):
    response = desk_api.post(
        "/api/v1/pricing/quote", {"items": [{"sku": "X", "quantity": 1}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Unknown SKU: X."
    api_client.force_authenticate(nobody)
    assert api_client.post("/api/v1/pricing/quote", {}, format="json").status_code == 403


def test_promotion_crud_with_validation(admin_api, csr, store):
    data = {
        "name": "Weekend 10",
        "reward": "order_percent",
        "percent": "10",
        "days_of_week": [5, 6],
        "skus": [store.notebook.pk],
        "limit_overall": 100,
    }
    created = admin_api.post("/api/v1/pricing/promotions/", data, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["days_of_week"] == [5, 6]
    pid = created.json()["id"]
    bad = admin_api.patch(f"/api/v1/pricing/promotions/{pid}/", {"percent": "150"}, format="json")
    assert bad.status_code == 400
    assert "100" in str(bad.json()["fields"]["percent"])
    zero = admin_api.patch(
        f"/api/v1/pricing/promotions/{pid}/", {"limit_overall": 0}, format="json"
    )
    assert zero.status_code == 400
    dates = admin_api.patch(
        f"/api/v1/pricing/promotions/{pid}/",
        {"starts_at": "2026-12-10T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"},
        format="json",
    )
    assert dates.status_code == 400
    assert "The end must be after the start." in str(dates.json()["fields"])
    assert admin_api.delete(f"/api/v1/pricing/promotions/{pid}/").status_code == 204
    from rest_framework.test import APIClient

    desk = APIClient()
    desk.force_authenticate(csr)
    assert desk.get("/api/v1/pricing/promotions/").status_code == 403


def test_price_list_crud_with_entries(admin_api, store):
    response = admin_api.post(
        "/api/v1/pricing/price-lists/",
        {
            "name": "Contract",
            "kind": "base",
            "priority": 50,
            "entries": [{"sku": store.pen.pk, "min_quantity": 1, "price": "1.99"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["entries"][0]["price"] == "1.99"
    bad = admin_api.post(
        "/api/v1/pricing/price-lists/",
        {"name": "Gold", "kind": "segment", "priority": 1},
        format="json",
    )
    assert bad.status_code == 400
    assert "A segment list needs its segment." in str(bad.json()["fields"])


def test_coupon_issue_via_api(admin_api, store):
    promotion = PromotionFactory(is_coupon=True, coupon_valid_days=7)
    customer = CustomerFactory()
    response = admin_api.post(
        "/api/v1/pricing/coupons/",
        {"promotion": promotion.pk, "customer": customer.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    coupon = m.Coupon.objects.get()
    assert (coupon.expires_at - coupon.issued_at).days == 7
    revoke = admin_api.patch(
        f"/api/v1/pricing/coupons/{coupon.pk}/", {"status": "revoked"}, format="json"
    )
    assert revoke.status_code == 200

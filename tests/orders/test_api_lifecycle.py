"""The order's life after submit in the API: cancel, reorder, split backorders, history; a
cart's adjustments and coupons. Desk roles (CSR, supervisor) may; the others may not."""

import pytest
from rest_framework.test import APIClient

from orders import services
from orders.models import Order, OrderStatus


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def placed(ready_cart, csr):
    result = services.submit_order(actor=csr, order=ready_cart, idempotency_key="lifecycle-1")
    assert result.placed
    return result.order


ORDER_ENDPOINTS = [
    ("post", "/api/v1/orders/{id}/cancel/"),
    ("post", "/api/v1/orders/{id}/reorder/"),
    ("post", "/api/v1/orders/{id}/split-backorders/"),
    ("get", "/api/v1/orders/{id}/history/"),
]
CART_ENDPOINTS = [
    ("get", "/api/v1/carts/{id}/discounts/"),
    ("delete", "/api/v1/carts/{id}/adjustments/1/"),
    ("delete", "/api/v1/carts/{id}/coupons/1/"),
]


@pytest.mark.parametrize("role", ["nobody", "store_admin", "operations"])
@pytest.mark.parametrize(("method", "url"), ORDER_ENDPOINTS + CART_ENDPOINTS)
def test_roles_without_the_desk_are_refused(request, guest_cart, role, method, url):
    user = request.getfixturevalue(role)
    response = getattr(_api(user), method)(url.format(id=guest_cart.pk))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_cancel_an_order(request, placed, role):
    response = _api(request.getfixturevalue(role)).post(
        f"/api/v1/orders/{placed.pk}/cancel/", {"reason": "customer changed mind"}
    )
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    again = _api(request.getfixturevalue(role)).post(f"/api/v1/orders/{placed.pk}/cancel/")
    assert again.status_code == 409


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_reorder_makes_a_new_cart(request, placed, role):
    response = _api(request.getfixturevalue(role)).post(f"/api/v1/orders/{placed.pk}/reorder/")
    assert response.status_code == 201
    cart = Order.objects.get(pk=response.json()["id"])
    assert cart.status == OrderStatus.PENDING and cart.reordered_from_id == placed.pk


def test_split_backorders_of_an_order_without_backorders_is_refused(csr, placed):
    response = _api(csr).post(f"/api/v1/orders/{placed.pk}/split-backorders/")
    assert response.status_code in (400, 409) and response.json()["message"]


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_history_lists_the_timeline(request, placed, role):
    response = _api(request.getfixturevalue(role)).get(f"/api/v1/orders/{placed.pk}/history/")
    events = [e["event"] for e in response.json()]
    assert response.status_code == 200 and "Order created" in events
    assert "Order placed" in events
    missing = _api(request.getfixturevalue(role)).get("/api/v1/orders/999999/history/")
    assert missing.status_code == 404


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_list_and_remove_a_carts_adjustment(request, guest_cart, csr, sku, role):
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    adjustment = services.adjustment_add(
        actor=csr, order=guest_cart, kind="order_amount", value="1.00", reason_code="appeasement"
    )
    api = _api(request.getfixturevalue(role))
    listed = api.get(f"/api/v1/carts/{guest_cart.pk}/discounts/").json()
    assert [a["id"] for a in listed["adjustments"]] == [adjustment.pk] and listed["coupons"] == []
    response = api.delete(f"/api/v1/carts/{guest_cart.pk}/adjustments/{adjustment.pk}/")
    assert response.status_code == 200
    assert api.get(f"/api/v1/carts/{guest_cart.pk}/discounts/").json()["adjustments"] == []
    gone = api.delete(f"/api/v1/carts/{guest_cart.pk}/adjustments/{adjustment.pk}/")
    assert gone.status_code == 404


def test_removing_a_coupon_not_on_the_cart_is_not_found(csr, guest_cart):
    response = _api(csr).delete(f"/api/v1/carts/{guest_cart.pk}/coupons/12345/")
    assert response.status_code == 404


def test_every_new_endpoint_is_in_the_openapi_schema(csr):
    schema = _api(csr).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = set(schema["paths"])
    for path in (
        "/api/v1/orders/{id}/cancel/",
        "/api/v1/orders/{id}/reorder/",
        "/api/v1/orders/{id}/split-backorders/",
        "/api/v1/orders/{id}/history/",
        "/api/v1/carts/{id}/discounts/",
        "/api/v1/carts/{id}/adjustments/{adjustment_id}/",
        "/api/v1/carts/{id}/coupons/{coupon_id}/",
        "/api/v1/pricing/adjustment-approvals/",
        "/api/v1/pricing/adjustment-approvals/{id}/approve/",
        "/api/v1/pricing/adjustment-approvals/{id}/reject/",
        "/api/v1/payment-attention/",
        "/api/v1/payment-attention/{id}/authorize/",
        "/api/v1/payment-attention/{id}/review/",
        "/api/v1/payment-attention/{id}/new-payment/",
        "/api/v1/customers/{id}/reset-password/",
        "/api/v1/customers/{id}/disable/",
        "/api/v1/customers/{id}/enable/",
        "/api/v1/customers/{id}/cards/",
        "/api/v1/customers/{id}/cards/{card_id}/",
        "/api/v1/customers/{id}/cards/{card_id}/default/",
        "/api/v1/customers/{id}/segments/",
        "/api/v1/customers/{id}/segments/{code}/",
    ):
        assert path in paths, path

"""Payment attention in the API: CSRs list and take a new card; supervisors decide."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import Order, OrderStatus


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def in_review(db):
    from tests.orders.factories import OrderFactory

    return OrderFactory(
        status=OrderStatus.PAYMENT_REVIEW,
        number="NW-009001",
        attention="AVS mismatch",
        total=Decimal("25.00"),
    )


@pytest.mark.parametrize("role", ["nobody", "store_admin", "operations"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/payment-attention/"),
        ("post", "/api/v1/payment-attention/{id}/authorize/"),
        ("post", "/api/v1/payment-attention/{id}/review/"),
        ("post", "/api/v1/payment-attention/{id}/new-payment/"),
    ],
)
def test_roles_without_the_desk_are_refused(request, in_review, role, method, url):
    response = getattr(_api(request.getfixturevalue(role)), method)(url.format(id=in_review.pk))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_the_desk_lists_orders_needing_attention(request, in_review, role):
    response = _api(request.getfixturevalue(role)).get("/api/v1/payment-attention/")
    rows = response.json()["results"]
    assert [r["number"] for r in rows] == ["NW-009001"] and rows[0]["attention"] == "AVS mismatch"


def test_a_csr_may_not_decide_on_payment_risk(csr, in_review):
    response = _api(csr).post(f"/api/v1/payment-attention/{in_review.pk}/authorize/")
    assert response.status_code == 403


def test_a_supervisor_authorizes_then_sets_review_again(supervisor, in_review):
    api = _api(supervisor)
    authorized = api.post(f"/api/v1/payment-attention/{in_review.pk}/authorize/", {"reason": "ok"})
    assert authorized.status_code == 200 and authorized.json()["status"] == "authorized"
    review = api.post(f"/api/v1/payment-attention/{in_review.pk}/review/", {"reason": "call back"})
    assert review.status_code == 200 and review.json()["status"] == "payment_review"
    assert Order.objects.get(pk=in_review.pk).attention == "call back"


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_a_new_card_for_what_is_left(request, in_review, role):
    response = _api(request.getfixturevalue(role)).post(
        f"/api/v1/payment-attention/{in_review.pk}/new-payment/",
        {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvv": "123"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "25.00"

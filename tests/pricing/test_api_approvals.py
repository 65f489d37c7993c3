"""The approval queue in the API: supervisors list, approve and reject; nobody else may."""

import pytest
from rest_framework.test import APIClient

from orders import services


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def waiting(db, csr):
    from tests.catalog.factories import SKUFactory

    sku = SKUFactory(code="APPROVE-ME")
    cart = services.cart_create(actor=csr, guest={"last_name": "Guest", "email": "g@example.com"})
    services.line_add(actor=csr, order=cart, sku_code=sku.code, quantity=2)

    def request_one():
        return services.adjustment_add(
            actor=csr, order=cart, kind="order_amount", value="1.00", reason_code="appeasement"
        )

    return request_one


@pytest.mark.parametrize("role", ["csr", "store_admin", "operations", "nobody"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/pricing/adjustment-approvals/"),
        ("post", "/api/v1/pricing/adjustment-approvals/{id}/approve/"),
        ("post", "/api/v1/pricing/adjustment-approvals/{id}/reject/"),
    ],
)
def test_only_supervisors_decide(request, waiting, role, method, url):
    adjustment = waiting()
    response = getattr(_api(request.getfixturevalue(role)), method)(url.format(id=adjustment.pk))
    assert response.status_code == 403


def test_a_supervisor_lists_approves_and_rejects(waiting, supervisor):
    first, second = waiting(), waiting()
    api = _api(supervisor)
    listed = api.get("/api/v1/pricing/adjustment-approvals/").json()
    assert [a["id"] for a in listed] == [first.pk, second.pk]
    assert listed[0]["requested_by"] == "csr1" and listed[0]["status"] == "pending"
    approved = api.post(f"/api/v1/pricing/adjustment-approvals/{first.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    rejected = api.post(
        f"/api/v1/pricing/adjustment-approvals/{second.pk}/reject/", {"comment": "too much"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert api.get("/api/v1/pricing/adjustment-approvals/").json() == []
    again = api.post(f"/api/v1/pricing/adjustment-approvals/{first.pk}/approve/")
    assert again.status_code in (400, 409)
    missing = api.post("/api/v1/pricing/adjustment-approvals/999999/approve/")
    assert missing.status_code == 404

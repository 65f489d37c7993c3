"""The Customer page's actions in the API, for desk roles; audited by the services."""

import pytest
from rest_framework.test import APIClient

from core.events import EventType
from customers.models import CustomerEvent, PaymentMethod


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def customer(db):
    from tests.customers.factories import CustomerFactory, SegmentFactory

    SegmentFactory(code="gold", name="Gold")
    return CustomerFactory(email="jane@example.com")


ENDPOINTS = [
    ("post", "/api/v1/customers/{id}/reset-password/"),
    ("post", "/api/v1/customers/{id}/disable/"),
    ("post", "/api/v1/customers/{id}/enable/"),
    ("get", "/api/v1/customers/{id}/cards/"),
    ("post", "/api/v1/customers/{id}/cards/"),
    ("delete", "/api/v1/customers/{id}/cards/1/"),
    ("post", "/api/v1/customers/{id}/cards/1/default/"),
    ("get", "/api/v1/customers/{id}/segments/"),
    ("post", "/api/v1/customers/{id}/segments/"),
    ("delete", "/api/v1/customers/{id}/segments/gold/"),
]


@pytest.mark.parametrize("role", ["nobody", "store_admin", "operations"])
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_roles_without_the_desk_are_refused(request, customer, role, method, url):
    response = getattr(_api(request.getfixturevalue(role)), method)(url.format(id=customer.pk))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_reset_password_disable_enable(request, customer, role, django_capture_on_commit_callbacks):
    api = _api(request.getfixturevalue(role))
    with django_capture_on_commit_callbacks(execute=False):
        assert api.post(f"/api/v1/customers/{customer.pk}/reset-password/").status_code == 202
    refused = api.post(f"/api/v1/customers/{customer.pk}/disable/", {})
    assert refused.status_code == 400
    disabled = api.post(f"/api/v1/customers/{customer.pk}/disable/", {"reason": "fraud check"})
    assert disabled.status_code == 200 and disabled.json()["is_enabled"] is False
    enabled = api.post(f"/api/v1/customers/{customer.pk}/enable/")
    assert enabled.status_code == 200 and enabled.json()["is_enabled"] is True
    types = set(
        CustomerEvent.objects.filter(customer=customer).values_list("event_type", flat=True)
    )
    assert {
        EventType.CUSTOMER_PASSWORD_RESET,
        EventType.CUSTOMER_DISABLED,
        EventType.CUSTOMER_ENABLED,
    } <= types


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_stored_cards(request, customer, role):
    api = _api(request.getfixturevalue(role))
    url = f"/api/v1/customers/{customer.pk}/cards/"
    card = {"card_number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2035, "cvv": "123"}
    first = api.post(url, card)
    assert first.status_code == 201 and first.json()["last4"] == "4242"
    second = api.post(url, {**card, "card_number": "5555555555554444"}).json()
    default = api.post(f"{url}{second['id']}/default/")
    assert default.status_code == 200 and default.json()["is_default"] is True
    assert {c["id"] for c in api.get(url).json()} == {first.json()["id"], second["id"]}
    assert api.delete(f"{url}{first.json()['id']}/").status_code == 204
    assert list(PaymentMethod.objects.filter(customer=customer).values_list("pk", flat=True)) == [
        second["id"]
    ]


@pytest.mark.parametrize("role", ["csr", "supervisor"])
def test_member_groups(request, customer, role):
    api = _api(request.getfixturevalue(role))
    url = f"/api/v1/customers/{customer.pk}/segments/"
    joined = api.post(url, {"segment": "gold"})
    assert joined.status_code == 200 and [s["code"] for s in joined.json()] == ["gold"]
    assert api.post(url, {"segment": "gold"}).status_code == 400
    assert api.delete(f"{url}gold/").status_code == 204
    assert api.get(url).json() == []

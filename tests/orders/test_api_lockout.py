"""The supervisor credentials of an over-limit adjustment count as log-ins (django-axes)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from core.roles import Role
from pricing.models import OrderAdjustment


@pytest.fixture
def locking(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


@pytest.fixture
def cart(api_client, csr, sku):
    from pricing.models import AdjustmentLimit
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("30.00"))
    AdjustmentLimit.objects.create(
        group=Group.objects.get(name=Role.CSR.value),
        max_percent=Decimal("10"),
        max_amount=Decimal("5.00"),
    )
    api_client.force_authenticate(csr)
    cart = api_client.post("/api/v1/carts/", {"guest": {"last_name": "Guest"}}).json()
    r = api_client.post(
        f"/api/v1/carts/{cart['id']}/lines/",
        {"sku": sku.code, "quantity": 10, "version": cart["version"]},
    )
    assert r.status_code == 201, r.json()
    return r.json()


def _ninety_percent_off(api_client, cart, password):
    return api_client.post(
        f"/api/v1/carts/{cart['id']}/adjustments/",
        {
            "version": cart["version"],
            "kind": "order_percent",
            "value": "90",
            "reason_code": "appeasement",
            "supervisor_username": "super1",
            "supervisor_password": password,
        },
    )


def test_30_wrong_supervisor_passwords_then_the_right_one_is_refused(
    locking, api_client, cart, supervisor
):
    answers = [_ninety_percent_off(api_client, cart, f"guess-{i}") for i in range(30)]
    assert {r.status_code for r in answers[:4]} == {403}
    assert {r.status_code for r in answers[4:]} == {429}
    right = _ninety_percent_off(api_client, cart, "pw-super1")
    assert right.status_code == 429
    assert right.json()["code"] == "locked_out" and "supervisor" in right.json()["message"]
    assert not OrderAdjustment.objects.filter(status="approved").exists()


def test_the_right_supervisor_password_before_the_limit_still_approves(
    locking, api_client, cart, supervisor
):
    for i in range(3):
        assert _ninety_percent_off(api_client, cart, f"guess-{i}").status_code == 403
    r = _ninety_percent_off(api_client, cart, "pw-super1")
    assert r.status_code in (201, 403), r.json()
    if r.status_code == 403:  # refused by the supervisor's own limit, not by the lockout
        assert r.json()["code"] == "not_allowed" and "limit" in r.json()["message"]

"""Appeasement coupons: a CSR puts a coupon into a caller's wallet from the customer page,
within the role's limits; the wallet is in the API; store admins issue to a member group."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from core.errors import DomainError, NotAllowed
from core.roles import Role
from pricing import models as m
from pricing import services
from tests.conftest import make_staff
from tests.customers.factories import CustomerFactory, SegmentFactory
from tests.pricing.factories import PromotionFactory

pytestmark = pytest.mark.django_db


def _coupon_promotion(name="Sorry 10 off", amount="10.00"):
    return PromotionFactory(
        name=name,
        reward=m.Reward.ORDER_FIXED,
        percent=None,
        amount=Decimal(amount),
        is_coupon=True,
        coupon_valid_days=60,
    )


@pytest.fixture
def csr_limit(db, csr, supervisor):
    """The CSR role's limits, and a CSR and a supervisor given appeasement coupons."""
    permission = Permission.objects.get(codename="issue_appeasement_coupons")
    for user in (csr, supervisor):
        user.user_permissions.add(permission)
    return m.AdjustmentLimit.objects.create(
        group=Group.objects.get(name=Role.CSR.value), max_percent=10, max_amount=Decimal("15")
    )


def test_csr_issues_within_the_limit_from_the_customer_page(csr_client, csr, csr_limit):
    customer = CustomerFactory()
    small, big = _coupon_promotion(), _coupon_promotion("Very sorry", "50.00")
    card = csr_client.get(reverse("pricing:customer_wallet", args=[customer.pk])).content.decode()
    assert "No coupons in the wallet" in card and "Issue coupon" in card
    page = csr_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert reverse("pricing:customer_wallet", args=[customer.pk]) in page

    url = reverse("pricing:issue_appeasement", args=[customer.pk])
    response = csr_client.post(
        url, {"appease-promotion": small.pk, "appease-reason": "parcel late"}, follow=True
    )
    assert "is in" in response.content.decode()
    coupon = m.Coupon.objects.get(customer=customer)
    assert coupon.promotion == small
    event = m.PricingEvent.objects.get(subject=coupon.code)
    assert (event.actor, event.data["appeasement"]) == (csr, "parcel late")

    response = csr_client.post(
        url, {"appease-promotion": big.pk, "appease-reason": "parcel lost"}, follow=True
    )
    assert "over your limit" in response.content.decode()
    assert m.Coupon.objects.filter(customer=customer).count() == 1


def test_limits_and_rules(csr, supervisor, store_admin, nobody, csr_limit, django_user_model):
    customer = CustomerFactory()
    untrusted = make_staff(django_user_model, "csr2", Role.CSR)
    with pytest.raises(NotAllowed, match="issue appeasement coupons"):
        services.issue_appeasement_coupon(
            promotion=_coupon_promotion(), customer=customer, actor=untrusted, reason="x"
        )
    percent = PromotionFactory(
        name="Sorry 20%", percent=Decimal("20"), is_coupon=True, coupon_valid_days=30
    )
    with pytest.raises(NotAllowed, match="over your limit"):
        services.issue_appeasement_coupon(
            promotion=percent, customer=customer, actor=csr, reason="x"
        )
    with pytest.raises(NotAllowed):
        services.issue_appeasement_coupon(
            promotion=percent, customer=customer, actor=nobody, reason="x"
        )
    with pytest.raises(DomainError, match="Say why"):
        services.issue_appeasement_coupon(
            promotion=percent, customer=customer, actor=supervisor, reason=" "
        )
    for actor in (supervisor, store_admin):  # supervisors and store admins have no limit
        services.issue_appeasement_coupon(
            promotion=percent, customer=customer, actor=actor, reason="x"
        )
    assert m.Coupon.objects.filter(customer=customer).count() == 2


def test_wallet_in_the_api_for_csrs(api_client, csr):
    customer = CustomerFactory()
    promotion = _coupon_promotion()
    m.Coupon.objects.create(
        promotion=promotion,
        customer=customer,
        code="CPN-1",
        issued_at="2026-01-01T00:00Z",
        expires_at="2099-01-01T00:00Z",
    )
    url = reverse("pricing-customer-wallet", args=[customer.pk])
    assert api_client.get(url).status_code in (401, 403)
    api_client.force_authenticate(csr)
    body = api_client.get(url).json()
    assert [(c["code"], c["promotion_name"], c["amount"]) for c in body] == [
        ("CPN-1", "Sorry 10 off", "10.00")
    ]


def test_store_admin_issues_a_coupon_to_a_member_group(client, store_admin):
    gold = SegmentFactory(code="gold")
    members = [CustomerFactory() for _ in range(3)]
    for customer in members:
        customer.segments.add(gold)
    CustomerFactory()  # not a member
    promotion = _coupon_promotion()
    client.force_login(store_admin)
    url = reverse("admin:pricing_promotion_changelist")
    chosen = {"action": "issue_to_member_group", "_selected_action": [promotion.pk]}
    asked = client.post(url, chosen)
    assert asked.status_code == 200 and "Member group" in asked.content.decode()
    done = client.post(url, {**chosen, "apply": "1", "segment": gold.pk}, follow=True)
    assert "3 coupon(s)" in done.content.decode()
    assert set(m.Coupon.objects.values_list("customer_id", flat=True)) == {c.pk for c in members}
    client.post(url, {**chosen, "apply": "1", "segment": gold.pk})  # again: nobody twice
    assert m.Coupon.objects.count() == 3

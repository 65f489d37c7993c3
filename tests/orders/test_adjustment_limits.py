"""Both of a CSR's adjustment limits (money and percentage) hold for every kind of adjustment,
when it is added and every time the cart is priced again."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from core.roles import Role
from orders import services
from orders.models import Order
from pricing.models import AdjustmentLimit, OrderAdjustment


@pytest.fixture
def cart_of_300(guest_cart, csr, sku, ground):
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("12.00"))
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=25)
    return Order.objects.get(pk=guest_cart.pk)


def limit_csrs(percent, amount):
    AdjustmentLimit.objects.create(
        group=Group.objects.get(name=Role.CSR.value), max_percent=percent, max_amount=amount
    )


def adjust(cart, csr, kind, value):
    return services.adjustment_add(
        actor=csr, order=cart, kind=kind, value=value, reason_code="appeasement"
    )


def test_a_percentage_is_held_to_the_money_limit_too(cart_of_300, csr):
    limit_csrs(percent=None, amount=Decimal("50.00"))
    assert adjust(cart_of_300, csr, "order_percent", "20").status == "pending"  # 60.00 off
    assert Order.objects.get(pk=cart_of_300.pk).discount_total == 0


def test_an_amount_is_held_to_the_percentage_limit_too(cart_of_300, csr):
    limit_csrs(percent=Decimal("10"), amount=Decimal("50.00"))
    assert adjust(cart_of_300, csr, "order_amount", "40.00").status == "pending"  # 13 % off
    assert adjust(cart_of_300, csr, "order_amount", "30.00").status == "approved"  # 10 %


def test_an_adjustment_that_grows_past_the_limit_waits_for_approval_again(
    cart_of_300, csr, supervisor
):
    limit_csrs(percent=Decimal("10"), amount=Decimal("50.00"))
    adjustment = adjust(cart_of_300, csr, "order_percent", "10")
    assert adjustment.status == "approved"
    assert Order.objects.get(pk=cart_of_300.pk).discount_total == Decimal("30.00")

    line = cart_of_300.lines.get()
    services.line_update(actor=csr, order=cart_of_300, line_id=line.pk, quantity=250)

    adjustment.refresh_from_db()
    assert adjustment.status == OrderAdjustment.Status.PENDING
    assert adjustment.approved_by is None
    cart = Order.objects.get(pk=cart_of_300.pk)
    assert cart.subtotal == Decimal("3000.00") and cart.discount_total == 0
    notes = " ".join(cart.pricing_detail["explanation"]["notes"])
    assert "now gives away 300.00" in notes and "csr1's limit" in notes

    # A supervisor approves it at its new size; it then applies, and stays applied.
    services.adjustment_approve(actor=supervisor, adjustment_id=adjustment.pk)
    services.line_update(actor=csr, order=cart_of_300, line_id=line.pk, quantity=251)
    adjustment.refresh_from_db()
    assert adjustment.status == OrderAdjustment.Status.APPROVED
    assert Order.objects.get(pk=cart_of_300.pk).discount_total == Decimal("301.20")


def test_the_cart_lists_each_adjustment_with_its_state_and_a_pending_one_can_be_withdrawn(
    cart_of_300, csr, client
):
    limit_csrs(percent=Decimal("10"), amount=Decimal("50.00"))
    approved = adjust(cart_of_300, csr, "order_amount", "20.00")
    pending = adjust(cart_of_300, csr, "order_percent", "20")
    client.force_login(csr)
    page = client.get(f"/orders/{cart_of_300.pk}/").content.decode()
    assert f'id="adjustment-{approved.pk}"' in page and "approved by csr1" in page
    assert f'id="adjustment-{pending.pk}"' in page
    assert "blocks submit until a supervisor approves it" in page and ">withdraw</button>" in page

    version = Order.objects.get(pk=cart_of_300.pk).version
    response = client.post(
        f"/orders/{cart_of_300.pk}/adjustments/{pending.pk}/",
        {"version": version},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Adjustment taken off the order." in body
    assert f'id="adjustment-{pending.pk}"' not in body and "blocks submit" not in body
    assert not OrderAdjustment.objects.filter(pk=pending.pk).exists()
    assert Order.objects.get(pk=cart_of_300.pk).discount_total == Decimal("20.00")

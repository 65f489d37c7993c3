"""Promotions after a change (issue 16): a promotion the change breaks gives back its use and
its coupon; one the change newly earns takes its use within its limit, as at submit."""

from decimal import Decimal

import pytest

from core.events import EventType as E
from orders import pricing as order_pricing
from orders import services
from orders.integrations import PricingChanged
from orders.models import Order, OrderEvent, OrderVersion
from orders.services.changes import ChangeRequest, order_change
from pricing.models import (
    Coupon,
    PricingEvent,
    PromotionCounter,
    PromotionUsage,
    UsageStatus,
)
from tests.customers.factories import CustomerFactory
from tests.orders.conftest import make_ready
from tests.pricing.factories import CouponFactory, PromotionFactory


def place(csr, sku, qty, customer=None, coupon=None):
    cart = services.cart_create(actor=csr, customer=customer or CustomerFactory())
    make_ready(cart, csr, sku, qty=qty)
    if coupon is not None:
        services.coupon_redeem(actor=csr, order=cart, coupon_id=coupon.pk)
    result = services.submit_order(actor=csr, order=cart, idempotency_key=f"k-{cart.pk}")
    assert result.placed, result.message
    return result.order


def change_quantity(csr, order, qty):
    line = order.lines.get(is_gift=False)
    return order_change(
        actor=csr,
        order=order,
        version=order.version,
        request=ChangeRequest(quantities={line.pk: qty}),
    ).order


def used(promotion):
    counter = PromotionCounter.objects.filter(promotion=promotion).first()
    return 0 if counter is None else counter.used


def test_a_change_that_disqualifies_a_coupons_promotion_returns_the_coupon_to_the_wallet(
    csr, sku, center
):
    customer = CustomerFactory()
    coupon = CouponFactory(
        customer=customer,
        promotion=PromotionFactory(
            name="10% off 3 notebooks", is_coupon=True, coupon_valid_days=30, min_quantity=3
        ),
    )
    order = place(csr, sku, qty=3, customer=customer, coupon=coupon)
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.CONSUMED and order.discount_total == Decimal("3.00")

    changed = change_quantity(csr, order, 2)
    coupon.refresh_from_db()
    assert changed.discount_total == 0
    assert coupon.status == Coupon.Status.AVAILABLE
    assert coupon.order_id is None and coupon.consumed_at is None
    returned = PricingEvent.objects.get(event_type=E.COUPON_RETURNED)
    assert returned.order_id == order.pk and returned.subject == coupon.code
    assert returned.actor == csr and returned.data["why"] == "order changed"
    assert PromotionUsage.objects.get(order_id=order.pk).status == UsageStatus.RELEASED


def test_a_promotion_the_change_newly_earns_is_final_and_counted(csr, sku, center):
    promotion = PromotionFactory(name="10% off 3 notebooks", min_quantity=3, limit_overall=5)
    order = place(csr, sku, qty=2)
    assert not PromotionUsage.objects.filter(order_id=order.pk).exists()

    changed = change_quantity(csr, order, 3)
    assert changed.discount_total == Decimal("3.00")
    usage = PromotionUsage.objects.get(order_id=order.pk, promotion=promotion)
    assert usage.status == UsageStatus.FINAL and usage.amount == Decimal("3.00")
    assert used(promotion) == 1
    # Broken by the next change, earned again by the one after: counted once at a time.
    change_quantity(csr, changed, 2)
    assert used(promotion) == 0
    again = change_quantity(csr, Order.objects.get(pk=order.pk), 4)
    usage.refresh_from_db()
    assert again.discount_total == Decimal("4.00") and usage.status == UsageStatus.FINAL
    assert used(promotion) == 1


def test_a_promotion_at_its_limit_does_not_apply_to_the_change(csr, sku, center):
    promotion = PromotionFactory(name="Last one", min_quantity=3, limit_overall=1)
    place(csr, sku, qty=3)  # takes the only use
    order = place(csr, sku, qty=2)

    changed = change_quantity(csr, order, 3)
    assert changed.discount_total == 0 and changed.total == Decimal("30.00")
    assert not PromotionUsage.objects.filter(order_id=order.pk).exists()
    assert used(promotion) == 1


def test_the_last_use_taken_while_the_change_is_priced_refuses_it_and_says_why(
    csr, sku, center, monkeypatch
):
    """Another order takes the last use between this change's reprice and the counter's lock
    (here in the change's own transaction): the change is refused with the total without the
    promotion, and nothing of it is kept."""
    promotion = PromotionFactory(name="Last one", min_quantity=3, limit_overall=1)
    order = place(csr, sku, qty=2)
    reprice = order_pricing.reprice_order

    def reprice_then_another_order_takes_the_last_use(**kwargs):
        priced = reprice(**kwargs)
        PromotionCounter.objects.update_or_create(promotion=promotion, defaults={"used": 1})
        return priced

    monkeypatch.setattr(
        order_pricing, "reprice_order", reprice_then_another_order_takes_the_last_use
    )
    with pytest.raises(PricingChanged) as refused:
        change_quantity(csr, order, 3)
    assert refused.value.message == (
        "“Last one” reached its usage limit just now and no longer applies. The total is now "
        "30.00 CAD (was 27.00). The order was not changed: review the change with the customer "
        "and make it again."
    )
    assert OrderEvent.objects.filter(
        order=order, event_type=E.ORDER_CHANGE_REFUSED, data__reason=refused.value.message
    ).exists()
    assert OrderVersion.objects.filter(order=order).count() == 1
    assert order.lines.get().quantity == 2
    assert not PromotionUsage.objects.filter(order_id=order.pk).exists()

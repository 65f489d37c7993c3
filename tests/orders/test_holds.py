"""Typed holds (issue 16): placed by people and rules, never released by the job, reviewed."""

import pytest
from django.test import override_settings

from core.errors import DomainError, NotAllowed
from core.events import EventType as E
from fulfillment.releases import run_release
from orders import services
from orders.models import HoldType, Order, OrderEvent, OrderHold, OrderStatus
from orders.services.holds import (
    FraudScore,
    default_fraud_rule,
    hold_cancel_order,
    hold_place,
    hold_release,
)
from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
from tests.orders.conftest import make_ready


@pytest.fixture
def center(db, ground, sku):
    tor = CenterFactory(code="TOR")
    ArrangementFactory(center=tor, shipping_method=ground, precedence=1)
    stock(sku, tor, 100)
    return tor


def place(cart, csr, sku, card="4242424242424242"):
    make_ready(cart, csr, sku, card=card)
    result = services.submit_order(actor=csr, order=cart, idempotency_key=f"k-{cart.pk}")
    assert result.placed, result.message
    return result.order


def events_of(order, event_type):
    return OrderEvent.objects.filter(order=order, event_type=event_type)


def test_a_manually_held_order_is_not_released_until_a_supervisor_releases_it(
    guest_cart, csr, supervisor, operations, sku, center
):
    order = place(guest_cart, csr, sku)
    hold = hold_place(actor=csr, order=order, reason="Customer asked to wait")
    assert hold.type == HoldType.MANUAL and hold.placed_by == csr
    run_release(actor=operations)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AUTHORIZED
    with pytest.raises(NotAllowed):
        hold_release(actor=csr, hold_id=hold.pk)
    hold_release(actor=supervisor, hold_id=hold.pk, note="ok")
    with pytest.raises(DomainError, match="already released"):
        hold_release(actor=supervisor, hold_id=hold.pk)
    run_release(actor=operations)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RELEASED
    assert events_of(order, E.ORDER_HOLD_PLACED).count() == 1
    assert events_of(order, E.ORDER_HOLD_RELEASED).get().actor == supervisor


def test_an_avs_mismatch_is_a_payment_review_hold_and_its_release_authorizes(
    guest_cart, csr, supervisor, sku, center
):
    order = place(guest_cart, csr, sku, card="4000000000000119")
    assert order.status == OrderStatus.PAYMENT_REVIEW
    hold = OrderHold.objects.get(order=order)
    assert hold.type == HoldType.PAYMENT_REVIEW and hold.placed_by_rule == "submit: AVS"
    hold_release(actor=supervisor, hold_id=hold.pk)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AUTHORIZED


def test_a_supervisor_cancels_a_held_order_from_the_queue(guest_cart, csr, supervisor, sku, center):
    order = place(guest_cart, csr, sku)
    hold = hold_place(actor=csr, order=order, reason="Looks odd")
    with pytest.raises(NotAllowed):
        hold_cancel_order(actor=csr, hold_id=hold.pk)
    canceled = hold_cancel_order(actor=supervisor, hold_id=hold.pk, reason="fraud confirmed")
    assert canceled.status == OrderStatus.CANCELED
    hold.refresh_from_db()
    assert hold.resolution == OrderHold.Resolution.CANCELED and hold.released_by == supervisor
    assert events_of(order, E.ORDER_HOLD_CANCELED).exists()


def test_a_hold_needs_a_reason_and_an_order_not_yet_released(guest_cart, csr, sku, center):
    order = place(guest_cart, csr, sku)
    with pytest.raises(DomainError, match="why"):
        hold_place(actor=csr, order=order, reason=" ")
    services.cancel_order(actor=csr, order=order)
    with pytest.raises(DomainError, match="not yet released"):
        hold_place(actor=csr, order=order, reason="late")


def test_the_default_fraud_rule_scores_big_guest_orders(guest_cart, csr, sku, center):
    order = place(guest_cart, csr, sku)
    assert default_fraud_rule(order, order.addresses.all()).score == 20  # a guest, a small order


def always_suspicious(order, addresses):
    return FraudScore(95, ("test rule",))


@override_settings(ORDERS_FRAUD_RULE="tests.orders.test_holds.always_suspicious")
def test_a_pluggable_fraud_rule_over_the_threshold_holds_the_order(
    guest_cart, csr, operations, sku, center
):
    order = place(guest_cart, csr, sku)
    hold = OrderHold.objects.get(order=order)
    assert hold.type == HoldType.FRAUD and "95" in hold.reason
    run_release(actor=operations)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AUTHORIZED


def test_setting_the_payment_authorized_closes_the_payment_review_hold(
    guest_cart, csr, supervisor, operations, sku, center
):
    from orders.payment_capture import set_payment_status

    order = place(guest_cart, csr, sku, card="4000000000000119")
    set_payment_status(actor=supervisor, order_id=order.pk, authorized=True, reason="checked")
    hold = OrderHold.objects.get(order=order)
    assert hold.resolution == OrderHold.Resolution.RELEASED and hold.released_by == supervisor
    run_release(actor=operations)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RELEASED


@override_settings(ORDERS_HOLD_OVER_LIMIT_ADJUSTMENTS=True)
def test_an_adjustment_over_the_limit_holds_the_order_and_releasing_approves_it(
    guest_cart, csr, supervisor, operations, sku, center
):
    from decimal import Decimal

    from django.contrib.auth.models import Group

    from core.roles import Role
    from orders.models import OrderPayment, OrderVersion, PaymentStatus
    from pricing.models import AdjustmentLimit
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("12.00"))
    AdjustmentLimit.objects.create(
        group=Group.objects.get(name=Role.CSR.value),
        max_percent=Decimal("10"),
        max_amount=Decimal("5.00"),
    )
    make_ready(guest_cart, csr, sku, qty=5)
    pending = services.adjustment_add(
        actor=csr, order=guest_cart, kind="order_amount", value="8.00", reason_code="appeasement"
    )
    assert pending.status == "pending"
    result = services.submit_order(actor=csr, order=guest_cart, idempotency_key="k-adj")
    assert result.placed, result.message
    order = result.order
    assert order.total == Decimal("60.00")  # the adjustment waits: not applied yet
    hold = OrderHold.objects.get(order=order)
    assert hold.type == HoldType.ADJUSTMENT_LIMIT
    run_release(actor=operations)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AUTHORIZED

    hold_release(actor=supervisor, hold_id=hold.pk, note="fine")
    order.refresh_from_db()
    assert order.total == Decimal("52.00")
    v2 = OrderVersion.objects.get(order=order, number=2)
    assert v2.delta == Decimal("-8.00") and v2.created_by == supervisor
    payment = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    assert payment.amount == Decimal("52.00")
    run_release(actor=operations)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RELEASED


def test_without_the_setting_an_adjustment_over_the_limit_still_refuses_submit(
    guest_cart, csr, sku, center
):
    from decimal import Decimal

    from django.contrib.auth.models import Group

    from core.roles import Role
    from orders.integrations import ApprovalNeeded
    from pricing.models import AdjustmentLimit

    AdjustmentLimit.objects.create(
        group=Group.objects.get(name=Role.CSR.value),
        max_percent=Decimal("1"),
        max_amount=Decimal("1"),
    )
    make_ready(guest_cart, csr, sku, qty=5)
    services.adjustment_add(
        actor=csr, order=guest_cart, kind="order_amount", value="0.50", reason_code="appeasement"
    )
    services.adjustment_add(
        actor=csr, order=guest_cart, kind="order_percent", value="50", reason_code="appeasement"
    )
    with pytest.raises(ApprovalNeeded):
        services.submit_order(actor=csr, order=guest_cart, idempotency_key="k-adj2")

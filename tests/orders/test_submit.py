import re
from decimal import Decimal

import pytest

from core.errors import DomainError
from core.events import EventType as E
from orders import allocation, integrations, services
from orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderNumber,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
    SubmitAttempt,
)
from tests.concurrency import run_together
from tests.orders.conftest import make_ready


def submit(cart, actor, key="k-1", **kw):
    return services.submit_order(actor=actor, order=cart, idempotency_key=key, **kw)


def event_types(order):
    return set(OrderEvent.objects.filter(order=order).values_list("event_type", flat=True))


def test_an_approved_submit_places_the_order_and_emails_the_confirmation(
    ready_cart, csr, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(ready_cart, csr, expected_total=ready_cart.total)
    order = result.order
    assert result.placed and order.status == OrderStatus.AUTHORIZED
    assert re.fullmatch(r"NW-\d{6}", order.number)
    assert order.submitted_at is not None
    payment = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    assert payment.authorization_id.startswith("sbxauth_")
    assert {E.ORDER_SUBMIT_STARTED, E.ORDER_PAYMENT_AUTHORIZED, E.ORDER_PLACED} <= event_types(
        order
    )
    assert len(mailoutbox) == 1
    assert order.number in mailoutbox[0].subject and mailoutbox[0].to == ["gail@example.com"]
    assert E.ORDER_CONFIRMATION_EMAILED in event_types(order)


def test_the_same_key_twice_returns_the_same_order(ready_cart, csr):
    first = submit(ready_cart, csr)
    again = submit(ready_cart, csr)
    assert again.repeated and again.placed and again.order.number == first.order.number
    assert OrderNumber.objects.count() == 1
    with pytest.raises(DomainError, match="already"):
        submit(ready_cart, csr, key="another-key")


def test_a_declined_card_leaves_the_order_pending_with_nothing_consumed(
    guest_cart, csr, sku, ground
):
    cart = make_ready(guest_cart, csr, sku, card="4000000000000002")
    lines_before = list(OrderLine.objects.filter(order=cart).values())
    result = submit(cart, csr)
    assert not result.placed and "declined" in result.message
    order = Order.objects.get(pk=cart.pk)
    assert order.status == OrderStatus.PENDING and order.number is None
    assert "declined" in order.attention
    assert OrderPayment.objects.get(order=order).status == PaymentStatus.DECLINED
    assert list(OrderLine.objects.filter(order=cart).values()) == lines_before
    assert SubmitAttempt.objects.get(key="k-1").outcome == "refused"
    assert E.ORDER_PAYMENT_DECLINED in event_types(order)
    # The same key again gives the same answer, and a fixed card with a new key places it.
    assert not submit(cart, csr).placed
    services.payment_set_card(
        actor=csr,
        order=cart,
        card_number="4242424242424242",
        exp_month=1,
        exp_year=2031,
        cvv="123",
    )
    assert Order.objects.get(pk=cart.pk).attention == ""
    result = submit(cart, csr, key="k-2")
    assert result.placed and result.order.status == OrderStatus.AUTHORIZED


def test_a_gateway_error_leaves_the_order_pending(guest_cart, csr, sku, ground):
    cart = make_ready(guest_cart, csr, sku, card="4000000000000069")
    result = submit(cart, csr)
    assert not result.placed and "gateway" in result.message
    assert Order.objects.get(pk=cart.pk).status == OrderStatus.PENDING
    assert OrderPayment.objects.get(order=cart).status == PaymentStatus.ERROR


def test_a_gateway_that_raises_is_a_gateway_error(ready_cart, csr, monkeypatch):
    from core.payments import SandboxGateway

    def boom(self, **kw):
        raise ConnectionError("down")

    monkeypatch.setattr(SandboxGateway, "authorize", boom)
    result = submit(ready_cart, csr)
    assert not result.placed and Order.objects.get(pk=ready_cart.pk).status == "pending"


def test_a_promotion_ended_while_the_card_is_authorized_is_made_final_as_confirmed(
    guest_cart, csr, sku, center, monkeypatch
):
    """The card is authorized for the total the CSR confirmed; the promotions of that total
    are the ones made final, even if a rule changes before the order is placed."""
    from core.payments import SandboxGateway
    from pricing.models import PromotionCounter, PromotionUsage, UsageStatus
    from tests.pricing.factories import PromotionFactory

    promotion = PromotionFactory(name="Ten off", percent=Decimal("10"), limit_overall=100)
    cart = make_ready(guest_cart, csr, sku)
    assert cart.discount_total > 0
    authorize = SandboxGateway.authorize

    def the_promotion_ends_meanwhile(self, **kw):
        promotion.is_active = False
        promotion.save()
        return authorize(self, **kw)

    monkeypatch.setattr(SandboxGateway, "authorize", the_promotion_ends_meanwhile)
    result = submit(cart, csr, expected_total=cart.total)

    assert result.placed and result.order.total == cart.total
    usage = PromotionUsage.objects.get(order=cart, promotion=promotion)
    assert usage.status == UsageStatus.FINAL and usage.amount == cart.discount_total
    assert PromotionCounter.objects.get(promotion=promotion).used == 1


def test_an_avs_mismatch_goes_to_payment_review(guest_cart, csr, sku, ground):
    cart = make_ready(guest_cart, csr, sku, card="4000000000000119")
    result = submit(cart, csr)
    assert result.placed and result.order.status == OrderStatus.PAYMENT_REVIEW
    assert result.order.number and "AVS" in result.order.attention


def test_an_incomplete_cart_says_what_is_missing(guest_cart, csr, sku):
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code)
    with pytest.raises(services.SubmitIncomplete) as exc:
        submit(guest_cart, csr)
    assert set(exc.value.extra["problems"]) == {"ship_to", "billing", "payment"}
    assert Order.objects.get(pk=guest_cart.pk).status == OrderStatus.PENDING


def test_a_changed_total_must_be_confirmed_again(ready_cart, csr):
    with pytest.raises(services.PricesChanged) as exc:
        submit(ready_cart, csr, expected_total=ready_cart.total + Decimal("1.00"))
    assert exc.value.extra["total"] == str(ready_cart.total)
    assert Order.objects.get(pk=ready_cart.pk).status == OrderStatus.PENDING
    assert not SubmitAttempt.objects.exists()
    assert submit(ready_cart, csr, key="k-2", expected_total=ready_cart.total).placed


@pytest.mark.parametrize(
    ("owner", "where"), [(integrations, "finalize_order_pricing"), (allocation, "allocate_order")]
)
def test_a_failure_after_authorization_voids_it_and_consumes_nothing(
    ready_cart, csr, monkeypatch, owner, where
):
    """Promotion limit reached meanwhile (finalize) or stock gone (allocate): all rolled back."""
    voided = []
    from core.payments import SandboxGateway

    original_void = SandboxGateway.void

    def spy_void(self, *, authorization_id):
        voided.append(authorization_id)
        return original_void(self, authorization_id=authorization_id)

    def refuse(**kw):
        # what a partial write before the refusal would look like: must be rolled back
        OrderLine.objects.filter(order=ready_cart).update(inventory_status="allocated")
        raise DomainError("The promotion SPRING10 reached its limit; the total is now higher.")

    monkeypatch.setattr(SandboxGateway, "void", spy_void)
    monkeypatch.setattr(owner, where, refuse)
    result = submit(ready_cart, csr)
    assert not result.placed and "limit" in result.message
    order = Order.objects.get(pk=ready_cart.pk)
    assert order.status == OrderStatus.PENDING and order.number is None
    assert set(
        OrderLine.objects.filter(order=order).values_list("inventory_status", flat=True)
    ) == {"unallocated"}
    assert len(voided) == 1
    assert OrderPayment.objects.get(order=order).status == PaymentStatus.SELECTED
    assert E.ORDER_SUBMIT_FAILED in event_types(order)


def test_cancel_a_placed_order(ready_cart, csr):
    order = submit(ready_cart, csr).order
    services.cancel_order(actor=csr, order=order, reason="customer changed mind")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert OrderPayment.objects.get(order=order).status == PaymentStatus.VOIDED
    assert set(
        OrderLine.objects.filter(order=order).values_list("inventory_status", flat=True)
    ) == {"canceled"}


def test_reorder_makes_a_new_cart_with_the_same_items(ready_cart, csr):
    order = submit(ready_cart, csr).order
    cart = services.reorder(actor=csr, order=order)
    assert cart.status == OrderStatus.PENDING and cart.reordered_from == order
    assert [(line.sku_id, line.quantity) for line in cart.lines.all()] == [
        (line.sku_id, line.quantity) for line in order.lines.all()
    ]
    assert cart.current_ship_to is not None


def test_submit_runs_a_bounded_number_of_queries(ready_cart, csr, django_assert_max_num_queries):
    with django_assert_max_num_queries(60):
        submit(ready_cart, csr)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_with_one_key_make_one_order(csr, sku, ground):
    from tests.orders.conftest import make_ready as ready

    cart = ready(
        services.cart_create(
            actor=csr, guest={"first_name": "A", "last_name": "B", "email": "a@example.com"}
        ),
        csr,
        sku,
    )
    results, errors = run_together(
        *[lambda: services.submit_order(actor=csr, order=cart, idempotency_key="same")] * 6
    )
    assert errors == []
    assert OrderNumber.objects.count() == 1
    assert SubmitAttempt.objects.count() == 1
    assert OrderPayment.objects.filter(status=PaymentStatus.AUTHORIZED).count() == 1
    assert {r.order.pk for r in results} == {cart.pk}
    assert Order.objects.get(pk=cart.pk).status == OrderStatus.AUTHORIZED

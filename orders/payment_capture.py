"""Payments on a placed order: what the gateway answered to a shipment's capture, the payment
status a supervisor sets, and a new card taken for an order that needs payment attention.

Fulfillment asks the gateway (outside any transaction) and tells orders the outcome here, in its
own transaction with the order's row locked; only these functions write the order's payment
rows, `attention` and payment events after submit.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from core.errors import DomainError
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders import events
from orders.models import Order, OrderPayment, PaymentStatus
from orders.models import OrderStatus as S
from orders.status import transition_order

OPEN_AUTHORIZATIONS = (PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW)


def record_capture(
    *,
    order: Order,
    payment: OrderPayment | None,
    amount: Decimal,
    tracking: str,
    settled: bool,
    actor,
) -> None:
    """A shipment's amount was captured. `order` is locked by the caller; `settled` says that
    no other shipment of the order waits for its capture: the attention note of an earlier
    failure goes, and a shipped order's payment is captured in full."""
    events.record(
        order.pk,
        E.ORDER_PAYMENT_CAPTURED,
        actor,
        amount=str(amount),
        tracking=tracking,
        card=payment.label if payment else "",
    )
    if settled and order.attention.startswith("Capture"):
        Order.objects.filter(pk=order.pk).update(attention="")
    if payment and settled and order.status == S.SHIPPED:
        OrderPayment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CAPTURED)


def record_capture_failure(
    *, order: Order, amount: Decimal, tracking: str, reason: str, actor
) -> None:
    """A shipment's capture was declined or the gateway failed: the order shows in payment
    attention with the reason. `order` is locked by the caller."""
    attention = f"Capture of {amount} for {tracking} failed: {reason}"
    Order.objects.filter(pk=order.pk).update(attention=attention[:255])
    events.record(
        order.pk,
        E.ORDER_CAPTURE_FAILED,
        actor,
        amount=str(amount),
        tracking=tracking,
        reason=reason,
    )


@transaction.atomic
def set_payment_status(*, actor, order_id, authorized: bool, reason: str = "") -> Order:
    """ "Update order to payment authorized" (authorized=True) or "requires review"."""
    require(actor, Perm.SUPERVISE, "change an order's payment status")
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise DomainError(f"Order {order_id} does not exist.")
    target = S.AUTHORIZED if authorized else S.PAYMENT_REVIEW
    if order.status == target:
        raise DomainError(f"Order {order} is already {order.get_status_display().lower()}.")
    old = order.status
    transition_order(order, target, actor=actor, reason=reason)
    Order.objects.filter(pk=order.pk).update(
        attention="" if authorized else (reason or "Payment requires review")[:255]
    )
    payment = (
        OrderPayment.objects.filter(order=order, status__in=OPEN_AUTHORIZATIONS)
        .order_by("-pk")
        .first()
    )
    if payment:
        OrderPayment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.AUTHORIZED if authorized else PaymentStatus.REVIEW
        )
    if authorized:  # issue 16: the AVS (payment review) holds go with it
        # holds imports this module (a released payment-review hold sets the payment)
        from orders.services.holds import close_payment_review_holds

        close_payment_review_holds(order=order, actor=actor, note=reason or "payment authorized")
    events.record(
        order.pk,
        E.ORDER_PAYMENT_STATUS_SET,
        actor,
        old=old,
        new=target,
        reason=reason,
        card=payment.label if payment else "",
    )
    order.refresh_from_db()
    return order


def record_declined_card(*, order_id: int, reason: str, card: str, actor) -> None:
    events.record(order_id, E.ORDER_PAYMENT_DECLINED, actor, reason=reason, card=card)


@transaction.atomic
def replace_payment(
    *, actor, order_id: int, gateway: str, token, auth, amount: Decimal, review: bool
) -> tuple[OrderPayment, list[str]]:
    """A new card, authorized for `amount` (`token` and `auth` are the gateway's answers;
    `review`: authorized with an AVS mismatch), becomes the order's payment; the open
    authorizations are marked replaced. Returns the new payment and the authorization ids that
    the caller voids once this commits."""
    order = Order.objects.select_for_update().get(pk=order_id)
    replaced = OrderPayment.objects.filter(order=order, status__in=OPEN_AUTHORIZATIONS)
    old = [a for a in replaced.values_list("authorization_id", flat=True) if a]
    replaced.update(status=PaymentStatus.REPLACED)
    payment = OrderPayment.objects.create(
        order=order,
        gateway=gateway,
        gateway_token=token.token,
        brand=token.brand,
        last4=token.last4,
        exp_month=token.exp_month,
        exp_year=token.exp_year,
        status=PaymentStatus.REVIEW if review else PaymentStatus.AUTHORIZED,
        amount=amount,
        authorization_id=auth.authorization_id,
        avs_code=auth.avs_code,
        reason=auth.reason,
    )
    events.record(
        order.pk, E.ORDER_PAYMENT_AUTHORIZED, actor, amount=str(amount), card=payment.label
    )
    return payment, old

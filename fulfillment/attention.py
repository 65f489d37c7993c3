"""Payment attention: "Find orders requiring payment attn" and what is done about them.

An order needs payment attention when it is `payment_review` (AVS mismatch at submit, or set
by a supervisor), or a shipment's capture failed (declined / gateway error; the order's
`attention` says why). Actions:
  * retry the capture (RUN_OPERATIONS or SUPERVISE): capture_shipment, at most once per
    shipment;
  * take a new payment (USE_DESK): a new card is tokenized and authorized for what is still
    to be captured; the retry then captures with it;
  * cancel (orders' cancel_order, on the order screen; only before release);
  * "Update order to payment authorized" / "requires review" (SUPERVISE: a judgment on risk,
    like approving an adjustment): audited status changes through the order state table.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from core.errors import DomainError, NotAllowed
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm

logger = logging.getLogger(__name__)


def orders_requiring_payment_attention():
    from fulfillment.models import Shipment
    from orders.models import Order

    failed = Shipment.objects.filter(capture_status=Shipment.Capture.FAILED).values("order_id")
    return (
        Order.objects.filter(
            Q(status="payment_review")
            | Q(pk__in=failed)
            | (Q(status__in=["shipped", "released"]) & ~Q(attention=""))
        )
        .select_related("customer")
        .order_by("-modified_at", "-id")
    )


def failed_shipments(order):
    from fulfillment.models import Shipment

    return Shipment.objects.filter(order=order, capture_status=Shipment.Capture.FAILED)


def _event(order_id, event_type, actor, **data):
    from orders.models import OrderEvent

    OrderEvent.objects.create(order_id=order_id, event_type=int(event_type), actor=actor, data=data)


def retry_capture(*, actor, shipment_id):
    from fulfillment.shipping import capture_shipment

    if not (actor and (actor.has_perm(Perm.RUN_OPERATIONS) or actor.has_perm(Perm.SUPERVISE))):
        raise NotAllowed("You do not have permission to retry payment captures.")
    return capture_shipment(shipment_id=shipment_id, actor=actor)


@transaction.atomic
def set_payment_status(*, actor, order_id, authorized: bool, reason: str = ""):
    """ "Update order to payment authorized" (authorized=True) or "requires review"."""
    from orders.models import Order, OrderPayment, PaymentStatus
    from orders.workflow import check_order_transition

    require(actor, Perm.SUPERVISE, "change an order's payment status")
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise DomainError(f"Order {order_id} does not exist.")
    target = "authorized" if authorized else "payment_review"
    if order.status == target:
        raise DomainError(f"Order {order} is already {order.get_status_display().lower()}.")
    check_order_transition(order.status, target)
    old = order.status
    Order.objects.filter(pk=order.pk).update(
        status=target,
        attention="" if authorized else (reason or "Payment requires review")[:255],
        version=F("version") + 1,
        modified_at=timezone.now(),
    )
    payment = (
        OrderPayment.objects.filter(
            order=order, status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW]
        )
        .order_by("-pk")
        .first()
    )
    if payment:
        OrderPayment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.AUTHORIZED if authorized else PaymentStatus.REVIEW
        )
    _event(order.pk, E.ORDER_STATUS_CHANGED, actor, old=old, new=target, reason=reason)
    _event(
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


def outstanding_amount(order) -> Decimal:
    """What is not captured yet: the order total less the captured shipments."""
    from fulfillment.models import Shipment

    captured = Shipment.objects.filter(
        order=order, capture_status=Shipment.Capture.CAPTURED
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return max(Decimal("0"), order.total - captured)


def take_new_payment(*, actor, order_id, card_number, exp_month, exp_year, cvv):
    """A new card for an order after submit: authorized (outside any transaction) for what is
    still to capture; becomes the order's payment; earlier authorizations are voided."""
    from core import payments
    from orders.models import Order, OrderPayment, PaymentStatus

    require(actor, Perm.USE_DESK, "take payments")
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status in ("pending", "canceled", "submitted"):
        raise DomainError("A new payment is taken here only for a placed, open order.")
    card = payments.check_card(number=card_number, exp_month=exp_month, exp_year=exp_year, cvv=cvv)
    gateway = payments.get_gateway()
    amount = outstanding_amount(order)
    try:
        token = gateway.tokenize(card)
        auth = gateway.authorize(
            token=token.token, amount=amount, currency=order.currency, billing_address=None
        )
    except payments.CardInvalid:
        raise
    except Exception:
        logger.warning("gateway failed taking a new payment for order %s", order.pk)
        raise DomainError("The payment gateway did not answer; nothing was charged.") from None
    del card
    if not auth.approved:
        with transaction.atomic():
            _event(order.pk, E.ORDER_PAYMENT_DECLINED, actor, reason=auth.reason, card=token.last4)
        raise DomainError(f"The new card was not accepted: {auth.reason}", field="card_number")
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).first()
        old = list(
            OrderPayment.objects.filter(
                order=order, status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW]
            ).values_list("authorization_id", flat=True)
        )
        OrderPayment.objects.filter(
            order=order, status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW]
        ).update(status=PaymentStatus.REPLACED)
        review = auth.outcome == payments.Outcome.AVS_MISMATCH
        payment = OrderPayment.objects.create(
            order=order,
            gateway=gateway.name,
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
        _event(order.pk, E.ORDER_PAYMENT_AUTHORIZED, actor, amount=str(amount), card=payment.label)
        for auth_id in old:
            if auth_id:
                transaction.on_commit(lambda a=auth_id: _void_quietly(gateway, a))
    return payment


def _void_quietly(gateway, authorization_id):
    try:
        gateway.void(authorization_id=authorization_id)
    except Exception:
        logger.warning("void of %s failed", authorization_id)

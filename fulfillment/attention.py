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
    like approving an adjustment): orders' `payment_capture.set_payment_status`.
Every write to the order (its status, payments, attention note, events) is orders' service;
this module reads shipments and talks to the gateway.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from core import payments
from core.errors import DomainError, NotAllowed
from core.permissions import require
from core.roles import Perm
from fulfillment.models import Shipment
from fulfillment.shipping import capture_shipment
from orders import payment_capture
from orders import selectors as order_selectors

logger = logging.getLogger(__name__)


def orders_requiring_payment_attention():
    failed = Shipment.objects.filter(capture_status=Shipment.Capture.FAILED).values("order_id")
    return order_selectors.orders_requiring_payment_attention(capture_failed=failed)


def failed_shipments(order):
    return Shipment.objects.filter(order=order, capture_status=Shipment.Capture.FAILED)


def retry_capture(*, actor, shipment_id):
    if not (actor and (actor.has_perm(Perm.RUN_OPERATIONS) or actor.has_perm(Perm.SUPERVISE))):
        raise NotAllowed("You do not have permission to retry payment captures.")
    return capture_shipment(shipment_id=shipment_id, actor=actor)


def outstanding_amount(order) -> Decimal:
    """What is not captured yet: the order total less the captured shipments."""
    captured = Shipment.objects.filter(
        order=order, capture_status=Shipment.Capture.CAPTURED
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return max(Decimal("0"), order.total - captured)


def take_new_payment(*, actor, order_id, card_number, exp_month, exp_year, cvv):
    """A new card for an order after submit: authorized (outside any transaction) for what is
    still to capture; becomes the order's payment; earlier authorizations are voided."""
    require(actor, Perm.USE_DESK, "take payments")
    order = order_selectors.order_get(order_id)
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
        payment_capture.record_declined_card(
            order_id=order.pk, reason=auth.reason, card=token.last4, actor=actor
        )
        raise DomainError(f"The new card was not accepted: {auth.reason}", field="card_number")
    with transaction.atomic():
        payment, replaced = payment_capture.replace_payment(
            actor=actor,
            order_id=order.pk,
            gateway=gateway.name,
            token=token,
            auth=auth,
            amount=amount,
            review=auth.outcome == payments.Outcome.AVS_MISMATCH,
        )
        for auth_id in replaced:
            transaction.on_commit(lambda a=auth_id: _void_quietly(gateway, a))
    return payment


def _void_quietly(gateway, authorization_id):
    try:
        gateway.void(authorization_id=authorization_id)
    except Exception:
        logger.warning("void of %s failed", authorization_id)

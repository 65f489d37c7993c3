"""The card on a cart: a stored card or a new one (tokenized by the gateway)."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.db import transaction

from core import payments
from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.money import ZERO, quantize
from core.permissions import require
from core.roles import Perm
from orders import integrations as ext
from orders.models import (
    Order,
    OrderPayment,
    PaymentStatus,
)
from orders.services._common import _claim, _event

logger = logging.getLogger(__name__)


# --- payment ---------------------------------------------------------------------------------


def _current_payment(order: Order) -> OrderPayment | None:
    return (
        OrderPayment.objects.filter(order=order)
        .exclude(status__in=[PaymentStatus.REPLACED, PaymentStatus.VOIDED])
        .order_by("-id")
        .first()
    )


def _replace_payments(order: Order) -> None:
    OrderPayment.objects.filter(
        order=order,
        status__in=[PaymentStatus.SELECTED, PaymentStatus.DECLINED, PaymentStatus.ERROR],
    ).update(status=PaymentStatus.REPLACED)


def _attach_stored_method(order: Order, method) -> OrderPayment:
    _replace_payments(order)
    return OrderPayment.objects.create(
        order=order,
        stored_method_id=method.pk,
        gateway=payments.get_gateway().name,
        gateway_token=method.gateway_token,
        brand=method.brand,
        last4=method.last4,
        exp_month=method.exp_month,
        exp_year=method.exp_year,
    )


@transaction.atomic
def payment_set_stored(*, actor, order: Order, payment_method_id, version=None) -> OrderPayment:
    require(actor, Perm.USE_DESK, "take payments")
    order = _claim(order, version)
    methods = {m.pk: m for m in ext.stored_payment_methods(order.customer)}
    method = methods.get(int(payment_method_id))
    if method is None:
        raise NotFound("That card is not stored for this customer.", field="payment_method")
    payment = _attach_stored_method(order, method)
    Order.objects.filter(pk=order.pk).update(attention="")
    _event(order, E.ORDER_PAYMENT_SET, actor, new=payment.label, stored=True)
    return payment


def payment_set_card(
    *,
    actor,
    order: Order,
    card_number: str,
    exp_month,
    exp_year,
    cvv: str,
    save_to_customer: bool = False,
    version=None,
) -> OrderPayment:
    """A new card: checked here, tokenized by the gateway; only the token and last 4 are kept."""
    require(actor, Perm.USE_DESK, "take payments")
    card = payments.check_card(number=card_number, exp_month=exp_month, exp_year=exp_year, cvv=cvv)
    gateway = payments.get_gateway()
    try:
        token = gateway.tokenize(card)
    except Exception:
        logger.warning("payment gateway tokenize failed for order %s", order.pk)
        raise DomainError(
            "The payment gateway did not answer; try the card again in a minute.",
            field="card_number",
        ) from None
    del card
    with transaction.atomic():
        order = _claim(order, version)
        _replace_payments(order)
        payment = OrderPayment.objects.create(
            order=order,
            gateway=gateway.name,
            gateway_token=token.token,
            brand=token.brand,
            last4=token.last4,
            exp_month=token.exp_month,
            exp_year=token.exp_year,
        )
        Order.objects.filter(pk=order.pk).update(attention="")
        _event(order, E.ORDER_PAYMENT_SET, actor, new=payment.label, stored=False)
        if save_to_customer:
            if order.customer_id is None:
                raise DomainError("A guest's card cannot be saved.", field="save_card")
            ext.save_payment_method(actor=actor, customer=order.customer, token=token)
    return payment


# --- store credit ----------------------------------------------------------------------------


def store_credit_applied(order: Order) -> Decimal:
    """What the store credit pays of the order: the amount the CSR applied, at most the total
    (a reprice may have lowered it). The card pays the rest."""
    return max(min(order.store_credit_amount, order.total), ZERO)


def card_amount(order: Order) -> Decimal:
    return order.total - store_credit_applied(order)


@transaction.atomic
def payment_set_store_credit(*, actor, order: Order, amount, version=None) -> Order:
    """Pay part or all of the order with the customer's store credit (0 takes it off). Checked
    against the balance now; spent at submit, under the customer's row lock."""
    require(actor, Perm.USE_DESK, "take payments")
    try:
        amount = quantize(Decimal(str(amount if amount not in (None, "") else "0")), order.currency)
    except (InvalidOperation, ValueError):
        raise DomainError(
            "Enter the store credit as an amount, e.g. 10.00.", field="store_credit"
        ) from None
    if amount < 0:
        raise DomainError("The store credit to use cannot be negative.", field="store_credit")
    order = _claim(order, version)
    if amount and order.customer_id is None:
        raise DomainError("A guest has no store credit.", field="store_credit")
    balance = ext.store_credit_balance(order.customer_id)
    if amount > balance:
        raise DomainError(
            f"The customer's store credit is {balance} {order.currency}.", field="store_credit"
        )
    if amount > order.total:
        raise DomainError(
            f"The order's total is {order.total}; use at most that much credit.",
            field="store_credit",
        )
    old = order.store_credit_amount
    Order.objects.filter(pk=order.pk).update(store_credit_amount=amount, attention="")
    order.store_credit_amount = amount
    _event(order, E.ORDER_STORE_CREDIT_SET, actor, old=str(old), new=str(amount))
    return order

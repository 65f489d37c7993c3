"""The e-mails of an order: confirmation and comments (sent by tasks after commit)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from core.events import EventType as E
from orders import selectors
from orders.models import (
    Order,
    OrderComment,
    OrderEvent,
)
from orders.services._common import _event
from orders.services.comments import order_email


def order_confirmation_send(*, order_id: int) -> bool:
    """Send the confirmation e-mail once (the task calls this); False if already sent."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    order = Order.objects.select_related("customer").get(pk=order_id)
    if OrderEvent.objects.filter(order=order, event_type=E.ORDER_CONFIRMATION_EMAILED).exists():
        return False
    to = order_email(order)
    if not to:
        return False
    context = selectors.order_summary(order)
    body = render_to_string("orders/email/confirmation.txt", context)
    send_mail(
        f"Your order {order.number} — {settings.STORE_NAME}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
    )
    _event(order, E.ORDER_CONFIRMATION_EMAILED, None, to=to)
    return True


def order_comment_send(*, comment_id: int) -> bool:
    from django.core.mail import send_mail

    comment = OrderComment.objects.select_related("order__customer").get(pk=comment_id)
    if comment.emailed_at:
        return False
    to = order_email(comment.order)
    if not to:
        return False
    send_mail(
        f"A note about your order {comment.order} — {settings.STORE_NAME}",
        comment.text,
        settings.DEFAULT_FROM_EMAIL,
        [to],
    )
    OrderComment.objects.filter(pk=comment.pk).update(emailed_at=timezone.now())
    return True

"""Comments on an order, e-mailed to the customer on request."""

from __future__ import annotations

from django.db import transaction

from core.errors import DomainError
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders.models import (
    Order,
    OrderComment,
)
from orders.services._common import _event


@transaction.atomic
def comment_add(*, actor, order: Order, text: str, email_customer: bool = False) -> OrderComment:
    """A comment kept with the order (any status); optionally e-mailed to the customer."""
    require(actor, Perm.USE_DESK, "comment on orders")
    text = (text or "").strip()
    if not text:
        raise DomainError("Type the comment.", field="text")
    if len(text) > 2000:
        raise DomainError("Keep the comment under 2000 characters.", field="text")
    order = Order.objects.select_related("customer").get(pk=order.pk)
    if email_customer and not order_email(order):
        raise DomainError(
            "This customer has no e-mail address; keep the comment internal.",
            field="email_customer",
        )
    comment = OrderComment.objects.create(
        order=order, author=actor, text=text, email_customer=email_customer
    )
    _event(order, E.ORDER_COMMENT_ADDED, actor, comment=comment.pk, emailed=email_customer)
    if email_customer:
        # tasks import these services: imported when queued (tasks <-> services)
        from orders import tasks

        transaction.on_commit(lambda: tasks.send_order_comment.delay(comment.pk))
    return comment


def order_email(order: Order) -> str:
    if order.customer_id:
        return order.customer.email
    return order.guest_email

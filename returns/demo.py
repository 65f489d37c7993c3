"""Demo returns: the store's return policy, and one approved return of a shipped demo order
(entered by the demo CSR through the services), so the receiving screen has something to show.

Idempotent: the policy row is found by its key; the return is made only while the order has
none.
"""

from django.contrib.auth import get_user_model

from orders.models import Order, OrderStatus
from returns import selectors, services
from returns.models import ReturnPolicy, ReturnRequest


def load(log) -> None:
    ReturnPolicy.objects.get_or_create(pk=1)
    order = Order.objects.filter(status=OrderStatus.SHIPPED).order_by("pk").first()
    csr = get_user_model().objects.filter(username="csr").first()
    if order is None or csr is None:
        log("  no shipped demo order (or no demo CSR): no demo return")
        return
    if ReturnRequest.objects.filter(order=order).exists():
        log(f"  kept the return of order {order.number}")
        return
    line = next((x for x in selectors.returnable_lines(order) if x.returnable), None)
    if line is None:
        return
    rr = services.create_return(actor=csr, order=order)
    services.add_order_line(
        actor=csr,
        return_request=rr,
        order_line_id=line.line.pk,
        quantity=1,
        reason=selectors.active_reasons().first(),
    )
    services.submit_return(actor=csr, return_request=rr)
    rr.refresh_from_db()
    log(f"  return {rr.rma_number} of order {order.number}: {rr.get_status_display().lower()}")

"""Demo returns: the store's return policy and reason codes, and one approved return of a
shipped demo order (entered by the demo CSR through the services), so the receiving screen has
something to show.

Idempotent: the policy and reasons are found by their keys; the return is made only while the
order has none.
"""

from django.contrib.auth import get_user_model

from core.app_data import DemoData
from orders.models import Order, OrderStatus
from returns import selectors, services
from returns.models import ReturnPolicy, ReturnReason, ReturnRequest

# The migration adds these too; a database flushed since (the browser tests) has none.
REASONS = [
    ("damaged", "Arrived damaged"),
    ("defective", "Defective"),
    ("wrong_item", "Wrong item shipped"),
    ("not_as_described", "Not as described"),
    ("no_longer_needed", "No longer needed"),
]


def load(log) -> None:
    ReturnPolicy.objects.get_or_create(pk=1)
    for position, (code, label) in enumerate(REASONS, start=1):
        ReturnReason.objects.get_or_create(
            code=code, defaults={"label": label, "position": position * 10}
        )
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


# Returns one item of the shipped demo order (fulfillment ships it).
DEMO = DemoData(load=load, after=("fulfillment",))

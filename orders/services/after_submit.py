"""After submit: cancel an order, reorder it as a new cart."""

from __future__ import annotations

from django.db import transaction

from core import payments
from core.errors import DomainError
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders import allocation
from orders import integrations as ext
from orders import pricing as order_pricing
from orders.models import (
    LineInventoryStatus,
    Order,
    OrderAddress,
    OrderLine,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
)
from orders.services._common import ADDRESS_FIELDS, _event, _reprice
from orders.services.carts import cart_create
from orders.status import transition_lines, transition_order
from orders.workflow import check_order_transition

# --- after submit ----------------------------------------------------------------------------


@transaction.atomic
def cancel_order(*, actor, order: Order, reason: str = "") -> Order:
    """Cancel a cart or an order not yet released: pricing released, inventory deallocated."""
    require(actor, Perm.USE_DESK, "cancel orders")
    order = Order.objects.select_for_update().get(pk=order.pk)
    check_order_transition(order.status, OrderStatus.CANCELED)
    order_pricing.release_pricing(order=order, actor=actor)
    lines = list(OrderLine.objects.filter(order=order).select_related("sku"))
    for line in lines:
        allocation.deallocate_line(line=line, actor=actor)
    transition_lines(
        {line.pk: line.inventory_status for line in lines}, LineInventoryStatus.CANCELED
    )
    authorized = OrderPayment.objects.filter(
        order=order, status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW]
    )
    gateway = payments.get_gateway()
    for payment in authorized:
        transaction.on_commit(
            lambda auth_id=payment.authorization_id: gateway.void(authorization_id=auth_id)
        )
    authorized.update(status=PaymentStatus.VOIDED)
    if order.customer_id and order.store_credit_amount > 0:  # spent at submit: given back
        ext.store_credit_release(
            actor=actor, customer_id=order.customer_id, reference=f"order:{order.pk}"
        )
    transition_order(order, OrderStatus.CANCELED, actor=actor, reason=reason)
    _event(order, E.ORDER_CANCELED, actor, reason=reason)
    order.refresh_from_db()
    return order


@transaction.atomic
def reorder(*, actor, order: Order) -> Order:
    """ "Create shopping cart from order": a new cart with the same items (not the gifts)."""
    require(actor, Perm.USE_DESK, "create orders")
    source = Order.objects.select_related("customer").get(pk=order.pk)
    guest = {
        "first_name": source.guest_first_name,
        "last_name": source.guest_last_name,
        "email": source.guest_email,
        "phone": source.guest_phone,
    }
    cart = cart_create(actor=actor, customer=source.customer, guest=guest)
    if source.customer_id is None:
        for addr in OrderAddress.objects.filter(order=source):
            data = {f: getattr(addr, f) for f in ADDRESS_FIELDS}
            new = OrderAddress.objects.create(
                order=cart, kind=addr.kind, shipping_method=addr.shipping_method, **data
            )
            if addr.kind == OrderAddress.Kind.SHIPPING and cart.current_ship_to_id is None:
                cart.current_ship_to = new
                Order.objects.filter(pk=cart.pk).update(current_ship_to=new)
    Order.objects.filter(pk=cart.pk).update(reordered_from=source)
    skipped, copies = [], []
    for line in OrderLine.objects.filter(order=source, is_gift=False).select_related(
        "sku__product"
    ):
        try:
            ext.ensure_buyable(line.sku)
        except DomainError:
            skipped.append(line.sku.code)
            continue
        copies.append(
            OrderLine(
                order=cart, sku=line.sku, quantity=line.quantity, ship_to=cart.current_ship_to
            )
        )
    allocation.allocate_cart_lines(lines=OrderLine.objects.bulk_create(copies), actor=actor)
    _event(cart, E.ORDER_REORDERED, actor, source=str(source), skipped=skipped)
    _reprice(cart, actor)
    cart.refresh_from_db()
    cart.skipped = skipped
    return cart

"""After submit: cancel an order, reorder it as a new cart, an exchange's replacement order."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core import payments
from core.errors import DomainError
from core.events import EventType as E
from core.money import quantize
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
    OrderNumber,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
    order_number,
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


@transaction.atomic
def exchange_order_create(*, actor, source: Order, items: list[dict], reference: str) -> Order:
    """An exchange's replacement order: the returned items again, at the price the customer
    paid for them (`items`: order_line_id, quantity, merchandise, tax; never repriced), to the
    source's ship-tos, paid by the returned goods (nothing to charge or capture). Placed as
    authorized (or backordered), so the release job ships it. Linked by `exchange_for`."""
    require(actor, Perm.USE_DESK, "create orders")
    source = Order.objects.select_related("customer").get(pk=source.pk)
    if not items:
        raise DomainError("An exchange needs at least one item from the order.")
    guest = {
        "first_name": source.guest_first_name,
        "last_name": source.guest_last_name,
        "email": source.guest_email,
        "phone": source.guest_phone,
    }
    order = cart_create(actor=actor, customer=source.customer, guest=guest)
    lines = OrderLine.objects.filter(order=source).select_related("ship_to", "sku")
    by_id = {line.pk: line for line in lines}
    copies: dict[int, OrderAddress] = {}
    merchandise = tax = Decimal("0")
    for item in items:
        line = by_id[item["order_line_id"]]
        to = line.ship_to
        if to is not None and to.pk not in copies:
            data = {f: getattr(to, f) for f in ADDRESS_FIELDS}
            copies[to.pk] = OrderAddress.objects.create(
                order=order, kind=to.kind, shipping_method=to.shipping_method, **data
            )
        quantity = int(item["quantity"])
        amount = Decimal(item["merchandise"])
        OrderLine.objects.create(
            order=order,
            sku=line.sku,
            quantity=quantity,
            ship_to=copies.get(to.pk) if to is not None else None,
            unit_price=quantize(amount / quantity, source.currency),
            line_total=amount,
        )
        merchandise += amount
        tax += Decimal(item["tax"])
    Order.objects.filter(pk=order.pk).update(
        exchange_for=reference[:20],
        currency=source.currency,
        atp_choice=source.atp_choice,
        current_ship_to=next(iter(copies.values()), None),
        subtotal=merchandise,
        tax_total=tax,
        total=merchandise + tax,
    )
    order.refresh_from_db()
    transition_order(order, OrderStatus.SUBMITTED, actor=actor, exchange_for=reference)
    allocation.allocate_order(order=order, actor=actor)
    order.number = order_number(OrderNumber.objects.create(order=order).pk)
    Order.objects.filter(pk=order.pk).update(number=order.number, submitted_at=timezone.now())
    backordered = OrderLine.objects.filter(
        order=order, inventory_status=LineInventoryStatus.BACKORDERED
    ).exists()
    transition_order(
        order, OrderStatus.BACKORDERED if backordered else OrderStatus.AUTHORIZED, actor=actor
    )
    _event(
        order,
        E.ORDER_PLACED,
        actor,
        number=order.number,
        total=str(merchandise + tax),
        exchange_for=reference,
        source=str(source),
    )
    order.refresh_from_db()
    return order

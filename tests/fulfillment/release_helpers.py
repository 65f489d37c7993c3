"""Accepted (payment authorized) orders for the release / shipping tests and the benchmark."""

from decimal import Decimal

from orders import allocation
from orders.models import Order, OrderLine, OrderPayment
from tests.orders.factories import OrderAddressFactory, OrderFactory, OrderLineFactory

_numbers = iter(range(500000, 10**9))


def ship_to(order, method, **fields):
    return OrderAddressFactory(order=order, shipping_method=method, **fields)


def accepted_order(
    *, created_by, method, lines, atp="ship_available_first", token="sbx_approve_1", address=None
):
    """lines: [(sku, quantity)] or [(sku, quantity, ship_to_address)]. Allocates the lines and
    places the order as submit does: `authorized` (or `backordered`), an authorized payment."""
    order = OrderFactory(created_by=created_by, status="submitted", atp_choice=atp)
    default_to = address or ship_to(order, method)
    total = Decimal("0")
    for item in lines:
        sku, quantity = item[0], item[1]
        to = item[2] if len(item) > 2 else default_to
        price = Decimal("10.00")
        OrderLineFactory(
            order=order,
            sku=sku,
            quantity=quantity,
            ship_to=to,
            unit_price=price,
            line_total=price * quantity,
        )
        total += price * quantity
    allocation.allocate_order(order=order)
    backordered = OrderLine.objects.filter(order=order, inventory_status="backordered").exists()
    number = f"{next(_numbers)}"
    Order.objects.filter(pk=order.pk).update(
        number=number,
        status="backordered" if backordered else "authorized",
        subtotal=total,
        shipping_total=Decimal("5.00"),
        total=total + Decimal("5.00"),
    )
    OrderPayment.objects.create(
        order=order,
        gateway_token=token,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
        status="authorized",
        amount=total + Decimal("5.00"),
        authorization_id=f"auth_{order.pk}",
    )
    order.refresh_from_db()
    return order

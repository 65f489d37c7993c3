"""Ship-tos, shipping methods and the billing address of a cart."""

from __future__ import annotations

from django.db import transaction

from core.db import retry_on_deadlock
from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders import allocation
from orders import integrations as ext
from orders.models import (
    Order,
    OrderAddress,
    OrderLine,
)
from orders.services._common import (
    ADDRESS_FIELDS,
    _address_data,
    _address_snapshot,
    _book_address,
    _claim,
    _default_shipping_method,
    _event,
    _reprice,
)
from pricing.models import ShippingMethod

# --- ship-to, shipping, billing ----------------------------------------------------------------


@retry_on_deadlock
@transaction.atomic
def ship_to_add(
    *,
    actor,
    order: Order,
    address: dict | None = None,
    address_id=None,
    save_to_book: bool = False,
    shipping_method_code: str | None = None,
    make_current: bool = True,
    assign_lines: bool = False,
    version=None,
) -> OrderAddress:
    """Add a ship-to: from the address book (address_id) or new (address).

    A new address of a registered customer can be saved to the address book too; a guest's
    stays on the order only. `assign_lines` moves every line to it (single ship-to orders).
    """
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    data = _book_address(order, address_id) if address_id else _address_data(address or {})
    method = _shipping_method(shipping_method_code) if shipping_method_code else None
    if method is None:
        current = order.current_ship_to
        method = (current.shipping_method if current else None) or _default_shipping_method()
    existing = OrderAddress.objects.filter(
        order=order,
        kind=OrderAddress.Kind.SHIPPING,
        line1=data["line1"],
        postal_code=data["postal_code"],
        last_name=data["last_name"],
    ).first()
    if existing is not None:
        addr = existing
        if shipping_method_code and addr.shipping_method_id != method.pk:
            # The address is on the order already: the method chosen with it is what changed.
            OrderAddress.objects.filter(pk=addr.pk).update(shipping_method=method)
            addr.shipping_method = method
    else:
        addr = OrderAddress.objects.create(
            order=order, kind=OrderAddress.Kind.SHIPPING, shipping_method=method, **data
        )
    _event(order, E.ORDER_SHIP_TO_SET, actor, new=_address_snapshot(data), ship_to=addr.pk)
    if save_to_book and not address_id:
        if order.customer_id is None:
            raise DomainError("A guest has no address book; the address stays on this order.")
        book = dict(data)
        book["nickname"] = book.get("nickname") or f"{data['city']} {data['postal_code']}"
        ext.save_address_to_book(actor=actor, customer=order.customer, data=book)
    if make_current:
        Order.objects.filter(pk=order.pk).update(current_ship_to=addr)
        order.current_ship_to = addr
    # Moved lines and lines that waited for a ship-to are allocated in one pass (inventory rows
    # locked in one ordered statement: a load test found two carts deadlocking line by line).
    if assign_lines:
        moved = list(OrderLine.objects.filter(order=order).exclude(ship_to=addr))
        OrderLine.objects.filter(order=order).update(ship_to=addr)
    else:
        moved = list(OrderLine.objects.filter(order=order, ship_to__isnull=True))
        OrderLine.objects.filter(pk__in=[line.pk for line in moved]).update(ship_to=addr)
    for line in moved:
        line.ship_to = addr
    allocation.allocate_cart_lines(lines=moved, actor=actor)
    _reprice(order, actor)
    return addr


@retry_on_deadlock
@transaction.atomic
def ship_to_select(*, actor, order: Order, ship_to_id, assign_lines=False, version=None) -> Order:
    """Choose the ship-to new lines go to (and optionally move every line to it)."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    addr = OrderAddress.objects.filter(
        order=order, pk=ship_to_id, kind=OrderAddress.Kind.SHIPPING
    ).first()
    if addr is None:
        raise NotFound("That ship-to address is not on this order.", field="ship_to")
    Order.objects.filter(pk=order.pk).update(current_ship_to=addr)
    order.current_ship_to = addr
    _event(order, E.ORDER_SHIP_TO_SET, actor, ship_to=addr.pk, current=True)
    if assign_lines:
        moved = list(OrderLine.objects.filter(order=order).exclude(ship_to=addr))
        OrderLine.objects.filter(pk__in=[line.pk for line in moved]).update(ship_to=addr)
        for line in moved:
            line.ship_to = addr
        allocation.allocate_cart_lines(lines=moved, actor=actor)
        _reprice(order, actor)
    return order


def _shipping_method(code: str):
    method = ShippingMethod.objects.filter(code=code, is_active=True).first()
    if method is None:
        raise NotFound(f"No active shipping method {code!r}.", field="shipping_method")
    return method


@transaction.atomic
def shipping_method_set(*, actor, order: Order, ship_to_id, method_code: str, version=None):
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    addr = OrderAddress.objects.filter(
        order=order, pk=ship_to_id, kind=OrderAddress.Kind.SHIPPING
    ).first()
    if addr is None:
        raise NotFound("That ship-to address is not on this order.", field="ship_to")
    method = _shipping_method(method_code)
    old = addr.shipping_method.code if addr.shipping_method_id else None
    addr.shipping_method = method
    addr.save(update_fields=["shipping_method"])
    _event(order, E.ORDER_SHIPPING_METHOD_SET, actor, ship_to=addr.pk, old=old, new=method.code)
    _reprice(order, actor)
    return addr


@transaction.atomic
def billing_address_set(
    *,
    actor,
    order: Order,
    address: dict | None = None,
    address_id=None,
    same_as_ship_to: bool = False,
    version=None,
) -> OrderAddress:
    """Bill to a new address, one from the address book, or the order's current ship-to."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    if same_as_ship_to:
        data = _ship_to_as_billing(order)
    elif address_id:
        data = _book_address(order, address_id)
    else:
        data = _address_data(address or {})
    old = OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.BILLING).first()
    old_data = _address_snapshot({f: getattr(old, f) for f in ADDRESS_FIELDS}) if old else None
    if old is not None:
        for f, v in data.items():
            setattr(old, f, v)
        old.save()
        addr = old
    else:
        addr = OrderAddress.objects.create(order=order, kind=OrderAddress.Kind.BILLING, **data)
    _event(order, E.ORDER_BILLING_ADDRESS_SET, actor, old=old_data, new=_address_snapshot(data))
    return addr


def _ship_to_as_billing(order: Order) -> dict:
    ship = OrderAddress.objects.filter(pk=order.current_ship_to_id).first()
    if ship is None:
        raise DomainError("Add a ship-to first, or type the billing address.", field="line1")
    data = {f: getattr(ship, f) for f in ADDRESS_FIELDS}
    data["country"] = str(ship.country)
    return data

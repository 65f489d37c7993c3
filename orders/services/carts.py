"""Carts: a new cart for a customer or a guest, the guest's details."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from core.errors import DomainError
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from customers.models import Address
from orders import integrations as ext
from orders.models import (
    Order,
    OrderAddress,
)
from orders.services._common import ADDRESS_FIELDS, _claim, _default_shipping_method, _event
from orders.services.payment import _attach_stored_method

# --- carts -----------------------------------------------------------------------------------


def _guest_phone(raw: str | None) -> str:
    """A guest's phone as E.164, like a customer's, so a search by any formatting finds it."""
    try:
        return ext.normalize_phone(raw or "")
    except ValueError as error:
        raise DomainError(str(error), field="phone") from None


@transaction.atomic
def cart_create(*, actor, customer=None, guest: dict | None = None) -> Order:
    """A new cart (a pending Order) for a registered customer or a guest.

    A registered customer's default shipping and billing addresses, and the default stored
    card, are copied onto the cart so the common path needs no typing.
    """
    require(actor, Perm.USE_DESK, "create orders")
    guest = guest or {}
    if customer is not None:
        ext.ensure_can_order(customer)
    order = Order.objects.create(
        customer=customer,
        guest_first_name=(guest.get("first_name") or "").strip(),
        guest_last_name=(guest.get("last_name") or "").strip(),
        guest_email=(guest.get("email") or "").strip(),
        guest_phone=_guest_phone(guest.get("phone")),
        currency=settings.STORE_CURRENCY,
        created_by=actor,
    )
    _event(
        order,
        E.ORDER_CREATED,
        actor,
        customer=customer.logon_id if customer else None,
        guest=bool(customer is None),
    )
    if customer is not None:
        book = list(Address.objects.filter(customer=customer))
        ship = next((a for a in book if a.is_default_shipping), book[0] if book else None)
        bill = next((a for a in book if a.is_default_billing), ship)
        method = _default_shipping_method()
        if ship is not None:
            data = {f: getattr(ship, f) for f in ADDRESS_FIELDS}
            data["country"] = str(ship.country)
            addr = OrderAddress.objects.create(
                order=order, kind=OrderAddress.Kind.SHIPPING, shipping_method=method, **data
            )
            order.current_ship_to = addr
            order.save(update_fields=["current_ship_to"])
        if bill is not None:
            data = {f: getattr(bill, f) for f in ADDRESS_FIELDS}
            data["country"] = str(bill.country)
            OrderAddress.objects.create(order=order, kind=OrderAddress.Kind.BILLING, **data)
        stored = ext.stored_payment_methods(customer)
        if stored:
            _attach_stored_method(order, stored[0])
    return order


@transaction.atomic
def cart_set_guest(
    *,
    actor,
    order: Order,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    version: int | None = None,
) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    if order.customer_id:
        raise DomainError("This cart belongs to a registered customer.")
    old = {
        "first_name": order.guest_first_name,
        "last_name": order.guest_last_name,
        "email": order.guest_email,
        "phone": order.guest_phone,
    }
    new = {
        "first_name": (first_name or "").strip(),
        "last_name": (last_name or "").strip(),
        "email": (email or "").strip(),
        "phone": _guest_phone(phone),
    }
    if not new["last_name"]:
        raise DomainError("Enter the guest's last name.", field="last_name")
    if not new["email"] or "@" not in new["email"]:
        raise DomainError(
            "Enter the guest's e-mail address: the confirmation goes there.", field="email"
        )
    Order.objects.filter(pk=order.pk).update(
        guest_first_name=new["first_name"],
        guest_last_name=new["last_name"],
        guest_email=new["email"],
        guest_phone=new["phone"],
    )
    _event(order, E.ORDER_CUSTOMER_SET, actor, old=old, new=new)
    order.refresh_from_db()
    return order

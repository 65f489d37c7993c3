"""Write paths of the orders app: carts, lines, ship-tos, payment, comments, submit, cancel.

Every cart change:
  * checks the actor's permission,
  * claims the order with a conditional UPDATE on `version` (optimistic concurrency: a save
    based on a version somebody else already changed raises StaleVersion, never overwrites),
  * writes one OrderEvent with the old and new values,
  * allocates the changed line (fulfillment) and reprices the whole cart (pricing).

submit_order is exactly-once per idempotency key and authorizes the payment OUTSIDE the locking
transaction: a declined card or a gateway error leaves the order pending with nothing consumed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import SKU, normalize_code
from core import payments
from core.errors import DomainError, NotFound, StaleVersion
from core.events import EventType as E
from core.money import quantize
from core.permissions import require
from core.roles import Perm
from customers.models import Address
from orders import allocation, backorders, selectors
from orders import integrations as ext
from orders import pricing as order_pricing
from orders.models import (
    AvailabilityChoice,
    LineInventoryStatus,
    Order,
    OrderAddress,
    OrderComment,
    OrderEvent,
    OrderLine,
    OrderNumber,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
    SubmitAttempt,
    order_number,
)
from orders.status import transition_order
from orders.workflow import check_order_transition
from pricing.models import ShippingMethod

logger = logging.getLogger(__name__)

MAX_QUANTITY = 9999
STALE_MESSAGE = "This order changed since you opened it; here is the current version."
ADDRESS_FIELDS = (
    "nickname",
    "first_name",
    "last_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)
REQUIRED_ADDRESS_FIELDS = {
    "first_name": "first name",
    "last_name": "last name",
    "line1": "street address",
    "city": "city",
    "postal_code": "postal code",
    "country": "country",
}


class SubmitIncomplete(DomainError):
    code = "order_incomplete"


class PricesChanged(DomainError):
    """The total changed since the CSR reviewed it: show the new total and confirm again."""

    code = "prices_changed"
    http_status = 409


@dataclass
class SubmitResult:
    order: Order
    placed: bool
    message: str = ""
    repeated: bool = False


# --- helpers ---------------------------------------------------------------------------------


def _event(order: Order, event_type: E, actor, **data) -> OrderEvent:
    return OrderEvent.objects.create(order=order, event_type=event_type, actor=actor, data=data)


def _claim(order: Order | int, version: int | None) -> Order:
    """Bump the version of a pending order, refusing a stale one; returns the fresh row.

    The conditional UPDATE also takes the row lock on PostgreSQL until the transaction ends,
    so two writers on one cart are serialized.
    """
    order_id = order if isinstance(order, int) else order.pk
    qs = Order.objects.filter(pk=order_id, status=OrderStatus.PENDING)
    if version is not None:
        qs = qs.filter(version=version)
    if qs.update(version=F("version") + 1, modified_at=timezone.now()) == 0:
        current = Order.objects.filter(pk=order_id).first()
        if current is None:
            raise NotFound("This order does not exist.")
        if current.status != OrderStatus.PENDING:
            raise DomainError(
                f"Order {current} is {current.get_status_display().lower()}; "
                "a submitted order is not changed here."
            )
        raise StaleVersion(STALE_MESSAGE, extra={"version": current.version})
    fresh = Order.objects.select_related("customer").get(pk=order_id)
    if not isinstance(order, int):
        order.version = fresh.version
    return fresh


def _reprice(order: Order, actor=None):
    return order_pricing.reprice_order(order=order, actor=actor)


def _quantity(value) -> int:
    try:
        qty = int(value)
    except (TypeError, ValueError):
        raise DomainError("Enter the quantity as a whole number.", field="quantity") from None
    if qty < 1:
        raise DomainError(
            "The quantity must be at least 1; remove the line instead.", field="quantity"
        )
    if qty > MAX_QUANTITY:
        raise DomainError(f"The quantity can be at most {MAX_QUANTITY}.", field="quantity")
    return qty


def _line(order: Order, line_id) -> OrderLine:
    line = OrderLine.objects.select_related("sku").filter(order=order, pk=line_id).first()
    if line is None:
        raise NotFound("That line is not on this order (it may have been removed).")
    return line


def _address_data(data: dict) -> dict:
    clean = {f: (str(data.get(f) or "")).strip() for f in ADDRESS_FIELDS}
    for field, label in REQUIRED_ADDRESS_FIELDS.items():
        if not clean[field]:
            raise DomainError(f"Enter the {label}.", field=field)
    clean["country"] = clean["country"].upper()
    if len(clean["country"]) != 2:
        raise DomainError("Use the two-letter country code, e.g. CA or US.", field="country")
    return clean


def _book_address(order: Order, address_id) -> dict:
    if order.customer_id is None:
        raise DomainError("A guest has no address book; enter the address.", field="address_id")
    address = Address.objects.filter(customer_id=order.customer_id, pk=address_id).first()
    if address is None:
        raise NotFound("That address is not in this customer's address book.", field="address_id")
    data = {f: getattr(address, f) for f in ADDRESS_FIELDS}
    data["country"] = str(address.country)
    return data


def _address_snapshot(address: dict) -> dict:
    return {k: str(v) for k, v in address.items() if v}


def _default_shipping_method():
    return ShippingMethod.objects.filter(is_active=True).order_by("id").first()


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


# --- lines -----------------------------------------------------------------------------------


def _find_sku(sku_code: str):
    code = (sku_code or "").strip()
    if not code:
        raise DomainError("Type a SKU or part of a name, then pick an item.", field="sku")
    qs = SKU.objects.select_related("product").with_buyable()  # `is_buyable` needs no query
    # Codes are stored upper case (catalog.models.normalize_code): the exact match uses the
    # unique index; the case-insensitive scan is only the fallback for a miss.
    sku = qs.filter(code=normalize_code(code)).first() or qs.filter(code__iexact=code).first()
    if sku is None:
        raise NotFound(
            f"No SKU {code!r}; type part of the name and pick from the suggestions.", field="sku"
        )
    return sku


@transaction.atomic
def cart_reopen(*, actor, order: Order) -> list[str]:
    """A CSR opens a parked cart: lines whose stock was swept, or whose allocation no longer
    fits the line, are allocated again; returns what changed, one sentence per line."""
    require(actor, Perm.USE_DESK, "open carts")
    return allocation.refresh_cart_allocation(order=order, actor=actor)


@transaction.atomic
def line_add(
    *, actor, order: Order, sku_code: str, quantity=1, ship_to_id=None, version=None
) -> OrderLine:
    """Add a SKU (by code) to the cart, or add to the quantity of its line for that ship-to."""
    require(actor, Perm.USE_DESK, "change orders")
    qty = _quantity(quantity)
    sku = _find_sku(sku_code)
    try:
        if not ext.is_buyable(sku):
            ext.ensure_buyable(sku)  # raises with the reason a CSR can repeat
            raise DomainError(f"{sku.code} cannot be sold now; pick another item.")
    except DomainError as exc:
        exc.field = exc.field or "sku"
        raise
    order = _claim(order, version)
    ship_to = ship_to_id or order.current_ship_to_id
    if ship_to_id and not OrderAddress.objects.filter(order=order, pk=ship_to).exists():
        raise NotFound("That ship-to address is not on this order.", field="ship_to")
    line = OrderLine.objects.filter(order=order, sku=sku, ship_to_id=ship_to, is_gift=False).first()
    if line is not None:
        old = line.quantity
        if old + qty > MAX_QUANTITY:
            raise DomainError(f"The quantity can be at most {MAX_QUANTITY}.", field="quantity")
        line.quantity = old + qty
        line.save(update_fields=["quantity"])
        _event(order, E.ORDER_LINE_CHANGED, actor, sku=sku.code, old=old, new=line.quantity)
    else:
        line = OrderLine.objects.create(order=order, sku=sku, quantity=qty, ship_to_id=ship_to)
        _event(order, E.ORDER_LINE_ADDED, actor, sku=sku.code, quantity=qty, line=line.pk)
    line.sku = sku
    allocation.allocate_cart_line(line=line, actor=actor)
    _reprice(order, actor)
    line.order = order
    return line


@transaction.atomic
def line_update(
    *, actor, order: Order, line_id, quantity=None, ship_to_id=None, version=None
) -> OrderLine:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    line = _line(order, line_id)
    if line.is_gift:
        raise DomainError("A free gift follows its promotion; change the qualifying items.")
    changes = {}
    if quantity is not None:
        qty = _quantity(quantity)
        if qty != line.quantity:
            changes["quantity"] = (line.quantity, qty)
            line.quantity = qty
    if ship_to_id is not None and int(ship_to_id) != line.ship_to_id:
        if not OrderAddress.objects.filter(order=order, pk=ship_to_id).exists():
            raise NotFound("That ship-to address is not on this order.", field="ship_to")
        changes["ship_to"] = (line.ship_to_id, int(ship_to_id))
        line.ship_to_id = int(ship_to_id)
    if changes:
        line.save(update_fields=["quantity", "ship_to"])
        _event(
            order,
            E.ORDER_LINE_CHANGED,
            actor,
            sku=line.sku.code,
            line=line.pk,
            old={k: v[0] for k, v in changes.items()},
            new={k: v[1] for k, v in changes.items()},
        )
        if "ship_to" in changes:
            allocation.deallocate_line(line=line, actor=actor)
        allocation.allocate_cart_line(line=line, actor=actor)
        _reprice(order, actor)
    line.order = order
    return line


@transaction.atomic
def line_remove(*, actor, order: Order, line_id, version=None) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    line = _line(order, line_id)
    if line.is_gift:
        raise DomainError("A free gift follows its promotion; change the qualifying items.")
    allocation.deallocate_line(line=line, actor=actor)
    _event(
        order, E.ORDER_LINE_REMOVED, actor, sku=line.sku.code, quantity=line.quantity, line=line.pk
    )
    line.delete()
    _reprice(order, actor)
    return order


# --- ship-to, shipping, billing ----------------------------------------------------------------


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
    if assign_lines:
        lines = list(OrderLine.objects.filter(order=order).exclude(ship_to=addr))
        OrderLine.objects.filter(order=order).update(ship_to=addr)
        for line in lines:
            line.ship_to = addr
            allocation.deallocate_line(line=line, actor=actor)
            allocation.allocate_cart_line(line=line, actor=actor)
    # Lines without a ship-to go to the first one, and can now be allocated.
    waiting = list(OrderLine.objects.filter(order=order, ship_to__isnull=True))
    if waiting:
        OrderLine.objects.filter(pk__in=[line.pk for line in waiting]).update(ship_to=addr)
        for line in waiting:
            line.ship_to = addr
            allocation.allocate_cart_line(line=line, actor=actor)
    _reprice(order, actor)
    return addr


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
        for line in OrderLine.objects.filter(order=order).exclude(ship_to=addr):
            line.ship_to = addr
            line.save(update_fields=["ship_to"])
            allocation.deallocate_line(line=line, actor=actor)
            allocation.allocate_cart_line(line=line, actor=actor)
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


# --- adjustments, codes, comments, ATP --------------------------------------------------------


@transaction.atomic
def promotion_code_enter(*, actor, order: Order, code: str, version=None) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    code = (code or "").strip()
    if not code:
        raise DomainError("Type the promotion code the customer gave you.", field="code")
    order = _claim(order, version)
    ext.enter_promotion_code(
        order_id=order.pk, customer_id=order.customer_id, code=code, actor=actor
    )
    _event(order, E.ORDER_PROMOTION_CODE_ENTERED, actor, code=code)
    _reprice(order, actor)
    return order


@transaction.atomic
def promotion_code_remove(*, actor, order: Order, code: str, version=None) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.remove_promotion_code(order_id=order.pk, code=code, actor=actor)
    _event(order, E.ORDER_PROMOTION_CODE_REMOVED, actor, code=code)
    _reprice(order, actor)
    return order


@transaction.atomic
def coupon_redeem(*, actor, order: Order, coupon_id, version=None) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.redeem_coupon(
        order_id=order.pk, customer_id=order.customer_id, coupon_id=coupon_id, actor=actor
    )
    _event(order, E.ORDER_COUPON_REDEEMED, actor, coupon=coupon_id)
    _reprice(order, actor)
    return order


@transaction.atomic
def coupon_remove(*, actor, order: Order, coupon_id, version=None) -> Order:
    """Take a coupon off the cart: it goes back to the customer's wallet."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.remove_coupon(order_id=order.pk, coupon_id=coupon_id, actor=actor)
    _event(order, E.ORDER_COUPON_REMOVED, actor, coupon=coupon_id)
    _reprice(order, actor)
    return order


@transaction.atomic
def adjustment_remove(*, actor, order: Order, adjustment_id, version=None) -> Order:
    """Remove a CSR adjustment from the cart (pricing refuses once the order is placed)."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.remove_adjustment(order_id=order.pk, adjustment_id=adjustment_id, actor=actor)
    _event(order, E.ORDER_ADJUSTMENT_REMOVED, actor, adjustment=adjustment_id)
    _reprice(order, actor)
    return order


@transaction.atomic
def adjustment_add(
    *,
    actor,
    order: Order,
    kind: str,
    value,
    reason_code: str,
    comment: str = "",
    line_id=None,
    supervisor_username: str = "",
    supervisor_password: str = "",
    version=None,
) -> object:
    """A CSR adjustment through pricing (role limits and on-the-spot supervisor approval live
    there). Over the CSR's limit without a supervisor, it waits in the approval queue."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    line = _line(order, line_id) if line_id else None
    adjustment = ext.add_adjustment(
        order=order_pricing.amounts_of(order, line),
        actor=actor,
        kind=kind,
        value=value,
        reason_code=reason_code,
        comment=comment or "",
        supervisor_username=supervisor_username or "",
        supervisor_password=supervisor_password or "",
    )
    _event(
        order,
        E.ORDER_ADJUSTMENT_ADDED,
        actor,
        kind=kind,
        value=str(value),
        reason=reason_code,
        line=line_id,
        status=adjustment.status,
        approved_by=supervisor_username or None,
    )
    _reprice(order, actor)
    return adjustment


@transaction.atomic
def adjustment_approve(*, actor, adjustment_id) -> object:
    """A supervisor approves an adjustment from the approval queue (pricing checks their limit
    against the order's amounts now); the order is repriced with it."""
    require(actor, Perm.SUPERVISE, "approve price adjustments")
    adjustment = ext.adjustment(adjustment_id=adjustment_id)
    if adjustment is None:
        raise NotFound("This adjustment does not exist.")
    order = Order.objects.select_for_update().get(pk=adjustment.order_id)
    line = None
    if adjustment.line_id is not None:
        line = OrderLine.objects.filter(order=order, pk=adjustment.line_id).first()
    adjustment = ext.approve_adjustment(
        adjustment_id=adjustment.pk, order=order_pricing.amounts_of(order, line), actor=actor
    )
    _reprice(order, actor)
    return adjustment


@transaction.atomic
def atp_choice_set(*, actor, order: Order, choice: str, version=None) -> list[str]:
    """The Available To Promise choice (fulfillment applies it; "drop backorders" trims lines).
    Returns fulfillment's messages for the CSR."""
    require(actor, Perm.USE_DESK, "change orders")
    if choice not in AvailabilityChoice.values:
        raise DomainError("Choose one of the three availability options.", field="atp_choice")
    order = _claim(order, version)
    old = order.atp_choice
    Order.objects.filter(pk=order.pk).update(atp_choice=choice)
    order.atp_choice = choice
    messages = allocation.apply_atp_choice(order=order, choice=choice, actor=actor)
    _event(order, E.ORDER_ATP_CHOICE_SET, actor, old=old, new=choice)
    if choice == AvailabilityChoice.SHIP_AVAILABLE_DROP_BACKORDERS:
        _reprice(order, actor)
    return list(messages)


def backorders_move(*, actor, order: Order) -> Order:
    """Move the backordered quantities to a new order ("separate order" in the seeds);
    fulfillment moves them, reprices and audits both orders."""
    require(actor, Perm.USE_DESK, "change orders")
    with transaction.atomic():
        new_order = backorders.move_backorders_to_new_order(order=order, actor=actor)
        Order.objects.filter(pk=order.pk).update(version=F("version") + 1)
    return new_order


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


# --- submit ----------------------------------------------------------------------------------


def submit_problems(order: Order) -> dict[str, str]:
    """What must be fixed before submit, by field; empty when the order can be submitted."""
    problems: dict[str, str] = {}
    lines = list(OrderLine.objects.filter(order=order))
    if not lines:
        problems["lines"] = "Add at least one item."
    if any(line.ship_to_id is None for line in lines):
        problems["ship_to"] = "Choose a ship-to address for every line (S)."
    ship_to_ids = {line.ship_to_id for line in lines if line.ship_to_id}
    if (
        ship_to_ids
        and OrderAddress.objects.filter(pk__in=ship_to_ids, shipping_method__isnull=True).exists()
    ):
        problems["shipping_method"] = "Choose a shipping method for every ship-to (S)."
    if not OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.BILLING).exists():
        problems["billing"] = "Enter the billing address (B)."
    if _current_payment(order) is None:
        problems["payment"] = "Choose a stored card or enter a card (B)."
    if order.customer_id is None and (not order.guest_last_name or not order.guest_email):
        problems["guest"] = "Enter the guest's name and e-mail address."
    return problems


def _billing_dict(order: Order) -> dict | None:
    addr = OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.BILLING).first()
    if addr is None:
        return None
    return {
        "line1": addr.line1,
        "postal_code": addr.postal_code,
        "country": str(addr.country),
        "name": f"{addr.first_name} {addr.last_name}",
    }


def _next_number(order: Order) -> str:
    return order_number(OrderNumber.objects.create(order=order).pk)


def submit_order(*, actor, order: Order, idempotency_key: str, expected_total=None) -> SubmitResult:
    """Submit the cart, exactly once per idempotency key.

    1. Under the order's row lock: a known key returns its earlier answer; otherwise check the
       order is complete, reprice, compare with the total the CSR confirmed (a difference
       raises PricesChanged with the new total: nothing consumed), mark it `submitted`.
    2. Outside any transaction: authorize the payment with the gateway.
    3. Declined or gateway error: back to `pending` with the reason; nothing was consumed.
       Approved: in one transaction finalize pricing (promotion usage, coupons; may refuse if a
       limit was reached meanwhile), allocate inventory, number the order, set `authorized`
       (or `backordered` / `payment_review`), and e-mail the confirmation after commit. If that
       transaction fails, it rolls back whole and the authorization is voided.
    """
    require(actor, Perm.USE_DESK, "submit orders")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise DomainError("A submit needs an idempotency key (1-100 characters).", field="key")
    if expected_total is not None:
        try:
            expected_total = quantize(Decimal(str(expected_total)), order.currency)
        except (InvalidOperation, ValueError):
            raise DomainError(
                "The confirmed total is not a number.", field="expected_total"
            ) from None

    changed_total = None
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            attempt = SubmitAttempt.objects.filter(key=key).first()
            if attempt is not None:
                if attempt.order_id != locked.pk:
                    raise DomainError("This submit key belongs to another order.", field="key")
                return SubmitResult(
                    locked,
                    placed=attempt.outcome == SubmitAttempt.Outcome.PLACED,
                    message=attempt.message,
                    repeated=True,
                )
            if locked.status != OrderStatus.PENDING:
                raise DomainError(
                    f"Order {locked} is already {locked.get_status_display().lower()}."
                )
            problems = submit_problems(locked)
            if problems:
                raise SubmitIncomplete(
                    "Before submitting: " + " ".join(problems.values()),
                    extra={"problems": problems},
                )
            old_total = locked.total
            _reprice(locked, actor)
            if expected_total is not None and locked.total != expected_total:
                changed_total = (expected_total, locked.total)
                _event(
                    locked,
                    E.ORDER_PRICES_CHANGED_AT_SUBMIT,
                    actor,
                    old=str(expected_total),
                    new=str(locked.total),
                    was=str(old_total),
                )
                Order.objects.filter(pk=locked.pk).update(version=F("version") + 1)
            else:
                attempt = SubmitAttempt.objects.create(key=key, order=locked, actor=actor)
                transition_order(locked, OrderStatus.SUBMITTED, actor=actor, key=key)
                _event(locked, E.ORDER_SUBMIT_STARTED, actor, total=str(locked.total), key=key)
    except IntegrityError:
        # A concurrent submit with the same key won the race on the unique key.
        attempt = SubmitAttempt.objects.get(key=key)
        return SubmitResult(
            Order.objects.get(pk=attempt.order_id),
            placed=attempt.outcome == SubmitAttempt.Outcome.PLACED,
            message=attempt.message,
            repeated=True,
        )
    if changed_total is not None:
        old, new = changed_total
        raise PricesChanged(
            f"Prices changed since the review: the total is now {new} {locked.currency} "
            f"(was {old}). Check the summary and submit again to confirm.",
            extra={"total": str(new), "previous_total": str(old)},
        )

    return _authorize_and_place(locked, attempt, actor)


def _authorize_and_place(order: Order, attempt: SubmitAttempt, actor) -> SubmitResult:
    """Steps 2 and 3 of a submit, for an order marked `submitted` under this attempt."""
    payment = _current_payment(order)
    gateway = payments.get_gateway()
    try:
        auth = gateway.authorize(
            token=payment.gateway_token,
            amount=order.total,
            currency=order.currency,
            billing_address=_billing_dict(order),
            reference=attempt.key,
        )
    except Exception:
        logger.warning("payment gateway authorize failed for order %s", order.pk)
        auth = payments.AuthResult(
            payments.Outcome.ERROR,
            "The payment gateway did not answer; nothing was charged. Try again shortly.",
        )

    if not auth.approved:
        return _submit_refused(order, attempt, payment, auth, actor)

    try:
        with transaction.atomic():
            placed = Order.objects.select_for_update().get(pk=order.pk)
            if placed.status != OrderStatus.SUBMITTED:
                # Another process (a resumed submit) finished this attempt meanwhile.
                return _finished_elsewhere(placed, attempt)
            order_pricing.finalize_pricing(order=placed, actor=actor)
            allocation.allocate_order(order=placed, actor=actor)
            placed.number = _next_number(placed)
            placed.submitted_at = timezone.now()
            placed.attention = auth.reason if auth.outcome == payments.Outcome.AVS_MISMATCH else ""
            Order.objects.filter(pk=placed.pk).update(
                number=placed.number,
                submitted_at=placed.submitted_at,
                attention=placed.attention,
            )
            payment.status = (
                PaymentStatus.REVIEW
                if auth.outcome == payments.Outcome.AVS_MISMATCH
                else PaymentStatus.AUTHORIZED
            )
            payment.amount = placed.total
            payment.authorization_id = auth.authorization_id
            payment.avs_code = auth.avs_code
            payment.reason = auth.reason
            payment.save()
            if auth.outcome == payments.Outcome.AVS_MISMATCH:
                target = OrderStatus.PAYMENT_REVIEW
                _event(placed, E.ORDER_PAYMENT_REVIEW, actor, reason=auth.reason, avs=auth.avs_code)
            else:
                backordered = OrderLine.objects.filter(
                    order=placed, inventory_status=LineInventoryStatus.BACKORDERED
                ).exists()
                target = OrderStatus.BACKORDERED if backordered else OrderStatus.AUTHORIZED
                _event(
                    placed,
                    E.ORDER_PAYMENT_AUTHORIZED,
                    actor,
                    amount=str(placed.total),
                    card=payment.label,
                )
            transition_order(placed, target, actor=actor)
            _event(placed, E.ORDER_PLACED, actor, number=placed.number, total=str(placed.total))
            SubmitAttempt.objects.filter(pk=attempt.pk).update(
                outcome=SubmitAttempt.Outcome.PLACED, message=f"Order {placed.number} placed."
            )
            # tasks import these services: imported when queued (tasks <-> services)
            from orders import tasks

            order_id = placed.pk
            transaction.on_commit(lambda: tasks.send_order_confirmation.delay(order_id))
    except Exception as exc:
        if isinstance(exc, DomainError):
            reason = exc.message
        else:
            logger.exception("placing order %s failed after authorization", order.pk)
            reason = "The order could not be placed (an internal error); nothing was charged."
        try:
            gateway.void(authorization_id=auth.authorization_id)
        except Exception:
            logger.warning("void failed for order %s", order.pk)
        failed = payments.AuthResult(payments.Outcome.DECLINED, reason)
        return _submit_refused(order, attempt, payment, failed, actor, voided=True)
    placed.refresh_from_db()
    return SubmitResult(placed, placed=True, message=f"Order {placed.number} placed.")


def _finished_elsewhere(order: Order, attempt: SubmitAttempt) -> SubmitResult:
    attempt.refresh_from_db()
    return SubmitResult(
        order,
        placed=attempt.outcome == SubmitAttempt.Outcome.PLACED,
        message=attempt.message,
        repeated=True,
    )


@transaction.atomic
def _submit_refused(order, attempt, payment, auth, actor, voided=False) -> SubmitResult:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.SUBMITTED:
        return _finished_elsewhere(order, attempt)
    if voided:
        payment.status = PaymentStatus.SELECTED  # the card is fine; the order was not
        _event(order, E.ORDER_PAYMENT_VOIDED, actor, reason=auth.reason)
        _event(order, E.ORDER_SUBMIT_FAILED, actor, reason=auth.reason)
    elif auth.outcome == payments.Outcome.ERROR:
        payment.status = PaymentStatus.ERROR
        _event(order, E.ORDER_PAYMENT_ERROR, actor, reason=auth.reason, card=payment.label)
    else:
        payment.status = PaymentStatus.DECLINED
        _event(order, E.ORDER_PAYMENT_DECLINED, actor, reason=auth.reason, card=payment.label)
    payment.reason = auth.reason
    payment.amount = order.total
    payment.save()
    transition_order(order, OrderStatus.PENDING, actor=actor, reason=auth.reason)
    Order.objects.filter(pk=order.pk).update(attention=auth.reason)
    SubmitAttempt.objects.filter(pk=attempt.pk).update(
        outcome=SubmitAttempt.Outcome.REFUSED, message=auth.reason
    )
    _reprice(order, actor)
    order.refresh_from_db()
    return SubmitResult(order, placed=False, message=auth.reason)


# A submit marks the order `submitted`, asks the gateway, then places the order. A process that
# dies in between leaves the order `submitted` with its attempt in progress; after this long the
# job below finishes it (the gateway answers a repeated reference with the same authorization).
RESUME_SUBMITS_AFTER = dt.timedelta(minutes=5)


def resume_interrupted_submits(*, older_than=RESUME_SUBMITS_AFTER, limit: int = 500) -> int:
    """Finish submits left half-done: each is authorized again under its own idempotency key
    and placed, or refused back to `pending` with the reason, exactly as the CSR's submit
    would have. Safe on two workers at once. Returns how many it finished."""
    stale_before = timezone.now() - older_than
    candidates = SubmitAttempt.objects.filter(
        outcome=SubmitAttempt.Outcome.IN_PROGRESS,
        order__status=OrderStatus.SUBMITTED,
        modified_at__lt=stale_before,
    ).values_list("pk", flat=True)
    finished = 0
    for attempt_id in list(candidates[:limit]):
        attempt = _take_interrupted(attempt_id, stale_before)
        if attempt is None:  # another worker has it, or it finished meanwhile
            continue
        order = Order.objects.get(pk=attempt.order_id)
        _event(order, E.ORDER_SUBMIT_RESUMED, None, key=attempt.key, csr=attempt.actor_id)
        _authorize_and_place(order, attempt, attempt.actor)
        finished += 1
    return finished


@transaction.atomic
def _take_interrupted(attempt_id: int, stale_before) -> SubmitAttempt | None:
    """Lease one interrupted attempt: locked past other workers, and its `modified_at` moved
    on so that the next run does not take it again while this one works."""
    attempt = (
        SubmitAttempt.objects.select_for_update(skip_locked=True)
        .select_related("actor")
        .filter(pk=attempt_id, outcome=SubmitAttempt.Outcome.IN_PROGRESS)
        .filter(modified_at__lt=stale_before)
        .first()
    )
    if attempt is not None:
        attempt.save(update_fields=["modified_at"])
    return attempt


# --- after submit ----------------------------------------------------------------------------


@transaction.atomic
def cancel_order(*, actor, order: Order, reason: str = "") -> Order:
    """Cancel a cart or an order not yet released: pricing released, inventory deallocated."""
    require(actor, Perm.USE_DESK, "cancel orders")
    order = Order.objects.select_for_update().get(pk=order.pk)
    check_order_transition(order.status, OrderStatus.CANCELED)
    order_pricing.release_pricing(order=order, actor=actor)
    for line in OrderLine.objects.filter(order=order).select_related("sku"):
        allocation.deallocate_line(line=line, actor=actor)
    OrderLine.objects.filter(order=order).update(inventory_status=LineInventoryStatus.CANCELED)
    authorized = OrderPayment.objects.filter(
        order=order, status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW]
    )
    gateway = payments.get_gateway()
    for payment in authorized:
        transaction.on_commit(
            lambda auth_id=payment.authorization_id: gateway.void(authorization_id=auth_id)
        )
    authorized.update(status=PaymentStatus.VOIDED)
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
    skipped = []
    for line in OrderLine.objects.filter(order=source, is_gift=False).select_related(
        "sku__product"
    ):
        try:
            ext.ensure_buyable(line.sku)
        except DomainError:
            skipped.append(line.sku.code)
            continue
        new_line = OrderLine.objects.create(
            order=cart, sku=line.sku, quantity=line.quantity, ship_to_id=cart.current_ship_to_id
        )
        allocation.allocate_cart_line(line=new_line, actor=actor)
    _event(cart, E.ORDER_REORDERED, actor, source=str(source), skipped=skipped)
    _reprice(cart, actor)
    cart.refresh_from_db()
    cart.skipped = skipped
    return cart


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

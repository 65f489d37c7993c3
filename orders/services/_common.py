"""What every order service shares: the limits, the optimistic claim of a cart, the
event helper, address parsing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import F
from django.utils import timezone

from core.db import CompiledQuery
from core.errors import DomainError, NotFound, StaleVersion
from core.events import EventType as E
from customers.models import Address
from orders import events
from orders import pricing as order_pricing
from orders.events import EventRow
from orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from pricing.models import ShippingMethod

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
    return events.record(order.pk, event_type, actor, **data)


# The order a claim returns, read by a query compiled once (every cart change claims).
_CLAIMED = CompiledQuery(lambda pk: Order.objects.select_related("customer").filter(pk=pk), int)
_ORDER_TABLE = f'"{Order._meta.db_table}"'


def _claim(order: Order | int, version: int | None) -> Order:
    """Bump the version of a pending order, refusing a stale one; returns the fresh row.

    The conditional UPDATE also takes the row lock on PostgreSQL until the transaction ends,
    so two writers on one cart are serialized.
    """
    order_id = order if isinstance(order, int) else order.pk
    fresh = _claimed(order_id, version)
    if fresh is None:
        current = Order.objects.filter(pk=order_id).first()
        if current is None:
            raise NotFound("This order does not exist.")
        if current.status != OrderStatus.PENDING:
            raise DomainError(
                f"Order {current} is {current.get_status_display().lower()}; "
                "a submitted order is not changed here."
            )
        raise StaleVersion(STALE_MESSAGE, extra={"version": current.version})
    if not isinstance(order, int):
        order.version = fresh.version
    return fresh


def _claimed(order_id: int, version: int | None) -> Order | None:
    """The pending order (of that version, if given) with its version bumped, as it now is;
    None when no such order matched."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # One round trip (every cart change claims): the UPDATE ... RETURNING is a WITH query
        # named as the table, so the compiled read of the order reads the row it returned.
        update = (
            f"WITH {_ORDER_TABLE} AS (UPDATE {_ORDER_TABLE}"
            ' SET "version" = "version" + 1, "modified_at" = %s'
            ' WHERE "id" = %s AND "status" = %s'
            + (' AND "version" = %s' if version is not None else "")
            + " RETURNING *) "
        )
        params = [now, order_id, OrderStatus.PENDING.value]
        found = _CLAIMED.objects(
            order_id, prefix=(update, params if version is None else [*params, version])
        )
        return found[0] if found else None
    qs = Order.objects.filter(pk=order_id, status=OrderStatus.PENDING)
    if version is not None:
        qs = qs.filter(version=version)
    if qs.update(version=F("version") + 1, modified_at=now) == 0:
        return None
    (fresh,) = _CLAIMED.objects(order_id)
    return fresh


def _reprice(
    order: Order,
    actor=None,
    allocate: Sequence[OrderLine] = (),
    events_before: Sequence[EventRow] = (),
):
    """Reprice the order; `events_before`: events of the change that led to it, written with
    the priced result in one round trip."""
    return order_pricing.reprice_order(
        order=order,
        actor=actor,
        allocate=allocate,
        with_writes=[events.record_many_statement(events_before, actor)],
    )


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

"""Read paths shared by the order screens and the API."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from fulfillment.inventory.selectors import Availability
from orders import integrations as ext
from orders.models import (
    LineInventoryStatus,
    Order,
    OrderAddress,
    OrderComment,
    OrderEvent,
    OrderLine,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
)


def order_search(
    *,
    query: str | None = None,
    number: str | None = None,
    logon_id: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    postal_code: str | None = None,
    status: str | None = None,
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
    modified_from: dt.date | None = None,
    modified_to: dt.date | None = None,
    customer_id: int | None = None,
) -> QuerySet[Order]:
    """Find orders and pending carts. `query` matches number, logon ID, name, e-mail, phone."""
    qs = Order.objects.select_related("customer", "created_by")
    if query:
        q = query.strip()
        cond = (
            Q(number__iexact=q)
            | Q(customer__logon_id__iexact=q)
            | Q(customer__email__iexact=q)
            | Q(guest_email__iexact=q)
            | Q(customer__last_name__istartswith=q)
            | Q(guest_last_name__istartswith=q)
            | Q(customer__phone__contains=q)
            | Q(guest_phone__contains=q)
            | Q(addresses__postal_code__iexact=q)
        )
        if q.isdigit():
            cond |= Q(pk=int(q)) | Q(number__endswith=q.zfill(6))
        qs = qs.filter(cond).distinct()
    if number:
        n = number.strip()
        qs = qs.filter(
            Q(number__iexact=n) | Q(number__endswith=n.zfill(6))
            if n.isdigit()
            else Q(number__iexact=n)
        )
    if logon_id:
        qs = qs.filter(customer__logon_id__iexact=logon_id.strip())
    if first_name:
        qs = qs.filter(
            Q(customer__first_name__istartswith=first_name)
            | Q(guest_first_name__istartswith=first_name)
        )
    if last_name:
        qs = qs.filter(
            Q(customer__last_name__istartswith=last_name)
            | Q(guest_last_name__istartswith=last_name)
        )
    if email:
        qs = qs.filter(Q(customer__email__iexact=email) | Q(guest_email__iexact=email))
    if phone:
        digits = "".join(c for c in phone if c.isdigit())
        qs = qs.filter(Q(customer__phone__contains=digits) | Q(guest_phone__contains=digits))
    if postal_code:
        qs = qs.filter(addresses__postal_code__iexact=postal_code.strip()).distinct()
    if status:
        qs = qs.filter(status=status)
    if created_from:
        qs = qs.filter(created_at__date__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__date__lte=created_to)
    if modified_from:
        qs = qs.filter(modified_at__date__gte=modified_from)
    if modified_to:
        qs = qs.filter(modified_at__date__lte=modified_to)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-modified_at", "-id")


def customer_orders(*, customer_id: int) -> QuerySet[Order]:
    """A registered customer's orders and parked carts, newest first, with their line count."""
    return (
        Order.objects.filter(customer_id=customer_id)
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-id")
    )


def order_get(order_id) -> Order | None:
    return Order.objects.select_related("customer", "created_by").filter(pk=order_id).first()


def current_payment(order: Order) -> OrderPayment | None:
    return (
        OrderPayment.objects.filter(order=order)
        .exclude(status__in=[PaymentStatus.REPLACED, PaymentStatus.VOIDED])
        .order_by("-id")
        .first()
    )


@dataclass
class AvailabilityView:
    state: str  # ok | partial | backorder | bad | unknown
    text: str


def availability_view(av: Availability | None, quantity: int) -> AvailabilityView:
    """A short label for the Avail. column from inventory's Availability (or nothing)."""
    if av is None:
        return AvailabilityView("unknown", "unknown")
    now, center = av.available_now, av.center_code or ""
    exp_qty, exp_date = av.expected_quantity, av.expected_date
    if now >= quantity:
        return AvailabilityView("ok", f"✓ {now} {center}".strip())
    when = f" on {exp_date:%-d %b}" if exp_date else ""
    if now > 0:
        return AvailabilityView("partial", f"◔ {now} now, {quantity - now} later{when}")
    if exp_qty:
        return AvailabilityView("backorder", f"backorder{when}")
    return AvailabilityView("bad", "none in stock")


def held_view(line: OrderLine, held: dict | None) -> AvailabilityView:
    """The Avail. label of a line that holds stock: what allocation gave it (a kit counts its
    components' units, so partial counts are shown only when they can be whole items)."""
    if line.inventory_status == LineInventoryStatus.ALLOCATED:
        centers = " ".join((held or {}).get("centers", []))
        return AvailabilityView("ok", f"✓ {line.quantity} {centers}".strip())
    held = held or {}
    when = f" on {held['expected_date']:%-d %b}" if held.get("expected_date") else ""
    now = held.get("on_hand", 0)
    if 0 < now < line.quantity:
        return AvailabilityView("partial", f"◔ {now} now, {line.quantity - now} later{when}")
    if held.get("expected"):
        return AvailabilityView("backorder", f"backorder{when}")
    return AvailabilityView("bad", "backordered, no date")


HOLDING = (LineInventoryStatus.ALLOCATED, LineInventoryStatus.BACKORDERED)


def cart_lines(order: Order) -> list[OrderLine]:
    """The order's lines for the screens: a line that holds stock shows what it holds (one
    query for all); one that does not yet (no ship-to, or swept) shows what it could get."""
    lines = list(
        ext.annotate_sku_buyable(
            OrderLine.objects.filter(order=order).select_related("sku__product", "ship_to")
        )
    )
    held = ext.held_stock(line_ids=[ln.pk for ln in lines if ln.inventory_status in HOLDING])
    waiting = [ln for ln in lines if ln.inventory_status == LineInventoryStatus.UNALLOCATED]
    avail = ext.availability(sku_ids={ln.sku_id for ln in waiting})
    assoc = ext.associations({line.sku_id for line in lines})
    for line in lines:
        if line.inventory_status in HOLDING:
            line.avail = held_view(line, held.get(line.pk))
        elif line.inventory_status == LineInventoryStatus.UNALLOCATED:
            line.avail = availability_view(avail.get(line.sku_id), line.quantity)
        else:
            state = "bad" if line.inventory_status == LineInventoryStatus.CANCELED else "ok"
            line.avail = AvailabilityView(state, line.get_inventory_status_display().lower())
        line.associations = assoc.get(line.sku_id, [])
        line.buyable = bool(line.sku_buyable)
    return lines


def order_summary(order: Order) -> dict:
    """Everything the order screen, the review and the confirmation e-mail show."""
    lines = cart_lines(order)
    addresses = list(OrderAddress.objects.filter(order=order).select_related("shipping_method"))
    ship_tos = [a for a in addresses if a.kind == OrderAddress.Kind.SHIPPING]
    billing = next((a for a in addresses if a.kind == OrderAddress.Kind.BILLING), None)
    groups: OrderedDict = OrderedDict()
    for addr in ship_tos:
        groups[addr.pk] = {"address": addr, "lines": []}
    unassigned = []
    for line in lines:
        if line.ship_to_id in groups:
            groups[line.ship_to_id]["lines"].append(line)
        else:
            unassigned.append(line)
    current = next((a for a in ship_tos if a.pk == order.current_ship_to_id), None)
    return {
        "order": order,
        "lines": lines,
        "ship_tos": ship_tos,
        "current_ship_to": current,
        "groups": [g for g in groups.values() if g["lines"]],
        "unassigned": unassigned,
        "billing": billing,
        "payment": current_payment(order),
        "is_pending": order.status == OrderStatus.PENDING,
    }


def order_detail(order: Order) -> dict:
    context = order_summary(order)
    context["events"] = list(OrderEvent.objects.filter(order=order).select_related("actor"))
    context["comments"] = list(OrderComment.objects.filter(order=order).select_related("author"))
    context["payments"] = list(OrderPayment.objects.filter(order=order))
    return context


# --- for the fulfillment of orders: the release job, ship confirmation, payment attention -----

RELEASABLE_ORDER_STATES = (OrderStatus.AUTHORIZED, OrderStatus.BACKORDERED, OrderStatus.RELEASED)


def releasable_order_ids(*, after_id: int, limit: int) -> list[int]:
    """The next orders after the cursor (order id) that may be released and have a line
    allocated (walking orders by key from the cursor, each asked about its lines by key)."""
    allocated = OrderLine.objects.filter(
        order_id=OuterRef("pk"),
        order_id__gt=after_id,  # said again here so that a merge join starts at the cursor
        inventory_status=LineInventoryStatus.ALLOCATED,
    )
    return list(
        Order.objects.filter(pk__gt=after_id, status__in=RELEASABLE_ORDER_STATES)
        .filter(Exists(allocated))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def lock_releasable_orders(order_ids: list[int]) -> list[tuple[int, str | None, str, str]]:
    """Lock those of `order_ids` still releasable, skipping rows another transaction holds (a
    second release worker, a CSR canceling): (id, number, status, atp_choice), by id."""
    return list(
        Order.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=order_ids, status__in=RELEASABLE_ORDER_STATES)
        .order_by("pk")
        .values_list("pk", "number", "status", "atp_choice")
    )


def release_lines(order_ids: list[int]) -> list[tuple]:
    """The lines of these orders, by order and id, as (id, order_id, sku_id, quantity,
    inventory_status, ship_to_id, shipping_method_id of the ship-to)."""
    # The ship-to's method is read by key per line: a join here would make the planner hash
    # every address row, on every batch of the release job.
    method = OrderAddress.objects.filter(pk=OuterRef("ship_to_id"))
    return list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .annotate(method_id=Subquery(method.values("shipping_method_id")))
        .order_by("order_id", "pk")
        .values_list(
            "pk", "order_id", "sku_id", "quantity", "inventory_status", "ship_to_id", "method_id"
        )
    )


def order_for_update(order_id: int) -> Order:
    """The order, its row locked until the transaction ends (the lock cancel takes too)."""
    return Order.objects.select_for_update().get(pk=order_id)


def line_statuses(order_id: int) -> dict[int, str]:
    return dict(OrderLine.objects.filter(order_id=order_id).values_list("pk", "inventory_status"))


def lines_by_id(line_ids) -> dict[int, OrderLine]:
    return {line.pk: line for line in OrderLine.objects.filter(pk__in=line_ids)}


def capturable_payment(order_id: int) -> OrderPayment | None:
    """The order's authorized card that a shipment's amount is captured from."""
    return (
        OrderPayment.objects.filter(
            order_id=order_id,
            status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW, PaymentStatus.CAPTURED],
        )
        .exclude(authorization_id="")
        .order_by("-pk")
        .first()
    )


def orders_requiring_payment_attention(*, capture_failed: QuerySet) -> QuerySet[Order]:
    """ "Find orders requiring payment attn": in payment review, with a failed capture (the
    order ids of `capture_failed`), or shipped/released with a note of what went wrong."""
    return (
        Order.objects.filter(
            Q(status=OrderStatus.PAYMENT_REVIEW)
            | Q(pk__in=capture_failed)
            | (Q(status__in=[OrderStatus.SHIPPED, OrderStatus.RELEASED]) & ~Q(attention=""))
        )
        .select_related("customer")
        .order_by("-modified_at", "-id")
    )

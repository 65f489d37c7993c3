"""Screens for changes after submit and holds (issue 16): the order screen's "Change order"
mode (htmx), its versions with the diff and money delta, its holds, and the supervisors' hold
review queue. Views parse, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import desk_view
from core.roles import CHANGE_PLACED_ORDER, Perm
from orders import selectors
from orders.models import AvailabilityChoice, HoldType, Order, OrderAddress, OrderLine
from orders.services import holds
from orders.services.changes import CHANGEABLE_STATES, FROZEN_LINE_STATES, ChangeRequest
from orders.services.changes import order_change as change_service
from orders.services.versions import version_diff
from pricing.models import ShippingMethod


def _placed(pk) -> Order:
    order = Order.objects.filter(pk=pk).exclude(number__isnull=True).first()
    if order is None:
        raise Http404("No such placed order")
    return order


def _versions(order: Order) -> list:
    rows = selectors.order_versions(order)
    previous = None
    for row in rows:
        row.diff = version_diff(previous, row)
        previous = row
    return list(reversed(rows))


@desk_view(Perm.USE_DESK)
def changes_panel(request, pk: int):
    """The order screen's part for issue 16: versions, holds, and the Change order button."""
    order = _placed(pk)
    return render(
        request,
        "orders/_changes.html",
        {
            "order": order,
            "versions": _versions(order),
            "holds": selectors.order_holds(order),
            "hold_types": HoldType.choices,
            "can_change": order.status in CHANGEABLE_STATES
            and request.user.has_perm(CHANGE_PLACED_ORDER),
            "can_hold": order.status in holds.HOLDABLE_STATES,
        },
    )


def _form_context(order: Order, errors=None, data=None) -> dict:
    lines = list(OrderLine.objects.filter(order=order).select_related("sku").order_by("pk"))
    for line in lines:
        line.frozen = line.inventory_status in FROZEN_LINE_STATES
        line.canceled = line.inventory_status == "canceled"
    ship_to = (
        OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.SHIPPING)
        .select_related("shipping_method")
        .order_by("pk")
        .first()
    )
    return {
        "order": order,
        "lines": lines,
        "errors": errors or {},
        "data": data or {},
        "ship_to": ship_to,
        "shipping_methods": ShippingMethod.objects.filter(is_active=True).order_by("id"),
        "atp_choices": AvailabilityChoice.choices,
    }


@desk_view(CHANGE_PLACED_ORDER)
def change_form(request, pk: int):
    order = _placed(pk)
    return render(request, "orders/_change_form.html", _form_context(order))


def _changed(post, name: str, current: str) -> str:
    value = (post.get(name) or "").strip()
    return value if value and value != current else ""


def _request_from(post, lines, order: Order, ship_to) -> ChangeRequest:
    quantities, cancel = {}, []
    for line in lines:
        if post.get(f"cancel_{line.pk}"):
            cancel.append(line.pk)
            continue
        raw = (post.get(f"qty_{line.pk}") or "").strip()
        if raw and raw != str(line.quantity):
            quantities[line.pk] = raw
    add = []
    if (post.get("add_sku") or "").strip():
        add.append((post["add_sku"].strip(), post.get("add_qty") or "1"))
    card = None
    if (post.get("card_number") or "").strip():
        card = {k: post.get(k, "") for k in ("card_number", "exp_month", "exp_year", "cvv")}
    return ChangeRequest(
        quantities=quantities,
        cancel_lines=cancel,
        add=add,
        card=card,
        ship_to_id=ship_to.pk if ship_to else None,
        shipping_method_code=_changed(
            post,
            "shipping_method",
            ship_to.shipping_method.code if ship_to and ship_to.shipping_method_id else "",
        ),
        atp_choice=_changed(post, "atp_choice", order.atp_choice),
        reason=(post.get("reason") or "").strip(),
    )


@desk_view(CHANGE_PLACED_ORDER)
@require_POST
def change_submit(request, pk: int):
    order = _placed(pk)
    lines = list(OrderLine.objects.filter(order=order).select_related("sku"))
    ship_to = _form_context(order)["ship_to"]
    try:
        result = change_service(
            actor=request.user,
            order=order,
            version=request.POST.get("version"),
            request=_request_from(request.POST, lines, order, ship_to),
        )
    except DomainError as exc:
        fresh = _placed(pk)
        context = _form_context(fresh, errors={"form": exc.message}, data=request.POST)
        return render(request, "orders/_change_form.html", context, status=200)
    delta = result.version.delta
    messages.success(
        request,
        f"{order.number} changed: version {result.version.number}, "
        f"{'+' if delta >= 0 else ''}{delta} {order.currency}. {result.payment_note}".strip()
        + (f" On hold: {result.held_for}" if result.held_for else ""),
    )
    url = reverse("orders:order", args=[order.pk])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@desk_view(Perm.USE_DESK)
@require_POST
def hold_place(request, pk: int):
    order = _placed(pk)
    try:
        holds.hold_place(
            actor=request.user,
            order=order,
            hold_type=request.POST.get("type") or HoldType.MANUAL,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{order.number} is on hold.")
    return redirect("orders:order", pk=order.pk)


@desk_view(Perm.SUPERVISE)
def hold_queue(request):
    hold_type = request.GET.get("type") or None
    if hold_type not in (None, *HoldType.values):
        hold_type = None
    rows = list(selectors.hold_queue(hold_type=hold_type)[:500])
    return render(
        request,
        "orders/hold_queue.html",
        {"holds": rows, "hold_types": HoldType.choices, "hold_type": hold_type or ""},
    )


@desk_view(Perm.SUPERVISE)
@require_POST
def hold_decide(request, hold_id: int):
    action = request.POST.get("action")
    try:
        if action == "cancel":
            order = holds.hold_cancel_order(
                actor=request.user, hold_id=hold_id, reason=request.POST.get("note", "")
            )
            messages.success(request, f"{order.number} canceled.")
        else:
            hold = holds.hold_release(
                actor=request.user, hold_id=hold_id, note=request.POST.get("note", "")
            )
            still = selectors.order_holds(hold.order)
            left = sum(1 for h in still if h.is_open)
            released = "" if left else " It can be released to the warehouse."
            messages.success(request, f"Hold on {hold.order.number} released.{released}")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("orders:hold_queue")

"""CSR order screens: thin views that parse input, call one service and render.

The order screen is one page; every change posts with htmx and gets back the `#cart` region
(lines, promotions, totals) plus the top bar out of band. Panels (ship-to, billing and payment,
promotion code, adjustment, comment) load into one dialog. DomainErrors are shown at the field.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError, StaleVersion
from core.permissions import desk_view
from core.roles import Perm
from customers.models import Customer
from orders import integrations as ext
from orders import selectors, services
from orders.customer_context import customer_context
from orders.forms import PANELS, code_entered_message, form_errors, item_entry
from orders.models import AvailabilityChoice, LineInventoryStatus, Order, OrderLine, OrderStatus
from pricing.models import ShippingMethod

# The cart's events (cart-updated, cart-refused, panel-close) fire once htmx has swapped and
# wired what the answer drew: fired on receipt, they put the cursor back in the item box before
# the swap, and a shortcut key pressed in those milliseconds reached a screen not yet wired.
CART_EVENTS = "HX-Trigger-After-Settle"


def _order(pk) -> Order:
    order = selectors.order_get(pk)
    if order is None:
        raise Http404("No such order")
    return order


def _version(request) -> int | None:
    raw = request.POST.get("version")
    return int(raw) if raw and raw.isdigit() else None


def _shipping_methods():
    return list(ShippingMethod.objects.filter(is_active=True).order_by("id"))


def _decorate_lines(order: Order, lines) -> None:
    """What a line row shows beyond the line: its URLs and the names of its discounts."""
    line_url = reverse("orders:line_update", args=[order.pk, 0])[: -len("0/")]
    names = (order.pricing_detail or {}).get("lines", {})
    for line in lines:
        line.update_url = f"{line_url}{line.pk}/"
        line.remove_url = f"{line_url}{line.pk}/remove/"
        # Joined here once: the row shows them twice, and the template's `join` escapes each
        # name on its own (a line under many promotions: 1.5 ms a redraw).
        line.reasons = ", ".join(names.get(str(line.pk), []))


def _foot_context(order: Order) -> dict:
    """The promotions panel and the totals under the lines."""
    detail = order.pricing_detail or {}
    return {
        "order": order,
        "detail": detail,
        "adjustments": ext.order_adjustments(order),
        # what pricing noted, less what the adjustments list already says of pending ones
        "pricing_notes": [
            note
            for note in (detail.get("explanation") or {}).get("notes", [])
            if "awaits a supervisor's approval" not in note
        ],
        "adjustment_url": reverse("orders:adjustment_remove", args=[order.pk, 0])[: -len("0/")],
    }


def _context(order: Order, **extra) -> dict:
    context = selectors.order_summary(order)
    _decorate_lines(order, context["lines"])
    context.update(_foot_context(order))
    context.update(
        shipping_methods=_shipping_methods(),
        atp_choices=AvailabilityChoice.choices,
        errors={},
        has_backorders=any(line.inventory_status == "backordered" for line in context["lines"]),
    )
    context.update(extra)
    return context


def _render_cart(
    request,
    order: Order,
    *,
    errors=None,
    message=None,
    level="error",
    status=200,
    fresh=None,
    refused=False,
):
    # `fresh`: the order as the service left it (claimed, repriced), so no second read.
    # `refused`: nothing was changed; the item box gives its text back (order.js).
    order = fresh if fresh is not None else _order(order.pk)
    context = _context(order, errors=errors or {}, message=message, level=level, oob=True)
    # The partial needs no request context (no forms with CSRF tokens, no user): rendering it
    # without the context processors saves their queries on every keystroke-driven change.
    response = HttpResponse(render_to_string("orders/_cart.html", context), status=status)
    response["HX-Retarget"] = "#cart"
    response["HX-Reswap"] = "outerHTML"
    response[CART_EVENTS] = "cart-updated, cart-refused" if refused else "cart-updated"
    return response


def _only_its_rows_changed(line: OrderLine) -> bool:
    """Whether adding or changing `line` changed nothing on the screen but rows, the promotions
    and the totals: no gift line came or went, no quote's price lock, one ship-to (no per-line
    ship-to column), no other line of the SKU (whose availability it would move), not the first
    line (the empty-cart row goes) and no backorder before or after (the top bar offers to move
    backorders)."""
    changes = getattr(line.order, "reprice_changes", None)
    if changes is None or changes.gifts_changed or changes.price_locked:
        return False
    skus = list(changes.sku_by_line.values())
    return (
        changes.ship_to_count <= 1
        and skus.count(line.sku_id) == 1
        and len(skus) > 1
        and line.inventory_status != LineInventoryStatus.BACKORDERED
        and not getattr(line, "was_backordered", False)
    )


@dataclass
class _RepricedLine:
    """What the cells of a line whose price moved show (only those cells are drawn again;
    `_decorate_lines` gives it the names of its discounts, as it does a line)."""

    pk: int
    unit_price: Decimal
    discount_total: Decimal
    line_total: Decimal
    renamed: bool  # its discount names changed too: they are drawn again
    is_gift = False  # gift lines' prices do not move: a gift that changed redraws the cart


def _render_changed_line(line: OrderLine) -> HttpResponse | None:
    """The answer to an add or a line change: only what changed, as out-of-band swaps (the
    line itself, read again; the price cells of the other lines whose price moved, the
    promotions and totals, from the order the service left in memory); None when more changed
    (the whole cart is drawn again)."""
    if not _only_its_rows_changed(line):
        return None
    order = line.order
    row = selectors.cart_line(order, line.pk)
    if row is None:  # removed by another CSR since
        return None
    changes = order.reprice_changes
    repriced = [
        _RepricedLine(pk, *amounts, renamed=pk in changes.renamed)
        for pk, amounts in sorted(changes.prices.items())
        if pk != line.pk
    ]
    _decorate_lines(order, [row, *(x for x in repriced if x.renamed)])
    is_new = getattr(line, "is_new", False)
    context = _foot_context(order) | {
        "changed_lines": [] if is_new else [row],
        "new_line": row if is_new else None,
        "repriced_lines": repriced,
        "ship_tos": (),
    }
    response = HttpResponse(render_to_string("orders/_cart_changes.html", context))
    response["HX-Reswap"] = "none"
    response[CART_EVENTS] = "cart-updated"
    return response


def _error_fields(exc: DomainError) -> dict:
    return {exc.field or "form": exc.message}


def _act(
    request,
    order: Order,
    action,
    *,
    panel: str | None = None,
    success: str | Callable[[], str] | None = None,
    returns_line: bool = False,
    level: Callable[[], str] = lambda: "success",
    answer: Callable[[object], HttpResponse | None] = lambda result: None,
):
    """Run a service; on success re-render the cart; on error show it at the field.

    `success` may be a callable when the message depends on what the service did.

    `answer`: draws the success from the service's result when it can (None: the whole cart).

    `returns_line`: the service's result carries the fresh order on `.order` (a changed line's
    order; None when it has none, and the order is read again).
    """
    if not request.htmx:
        return _act_without_scripts(request, order, action, success)
    try:
        result = action()
    except StaleVersion as exc:
        response = _render_cart(request, order, message=exc.message, level="warning", refused=True)
        if panel:
            response[CART_EVENTS] = "cart-updated, panel-close"
        return response
    except DomainError as exc:
        if panel:
            return _render_panel(
                request, order, panel, errors=_error_fields(exc), data=request.POST
            )
        return _render_cart(
            request, order, errors=_error_fields(exc), message=exc.message, refused=True
        )
    quick = answer(result)
    if quick is not None:
        return quick
    fresh = result.order if returns_line else None
    message = success() if callable(success) else success
    response = _render_cart(request, order, message=message, level=level(), fresh=fresh)
    if panel:
        response[CART_EVENTS] = "cart-updated, panel-close"
    return response


def _act_without_scripts(request, order: Order, action, success):
    """A plain form post: the CSR pressed Enter before the page's scripts had loaded. The
    action still happens (or its error is shown), then the order screen loads afresh."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        message = success() if callable(success) else success
        if message:
            messages.success(request, message)
    return redirect("orders:order", order.pk)


def _pending(request, order):
    response = _render_cart(
        request,
        order,
        message="Over your limit: the adjustment waits for a supervisor's approval and does "
        "not apply until then (or enter the supervisor's name and password now).",
        level="warning",
    )
    response[CART_EVENTS] = "cart-updated, panel-close"
    return response


def _render_panel(request, order, panel, *, errors=None, data=None):
    order = _order(order.pk)
    if panel in ADDRESS_PANELS and not data:
        data = _whose_address(order)
    context = _context(order, errors=errors or {}, data=data or {}, panel=panel)
    context["stored_methods"] = ext.stored_payment_methods(order.customer)
    if order.customer_id:
        context["address_book"] = list(order.customer.addresses.all())
    if panel == "billing" and order.customer_id:
        context["store_credit_balance"] = ext.store_credit_balance(order.customer_id)
    if panel == "promo":
        context["coupons"] = ext.wallet(order.customer)
        context["codes"] = ext.order_codes(order)
    if panel == "adjust":
        context["adjust_kinds"], context["reason_codes"] = ext.adjustment_choices()
    response = render(request, PANELS[panel][0], context)
    response["HX-Retarget"] = "#panel-body"
    response["HX-Reswap"] = "innerHTML"
    return response


ADDRESS_PANELS = ("ship_to", "billing")


def _whose_address(order: Order) -> dict:
    """A new address starts with the name (and phone) of the person the order is for: the
    CSR asked for it once already."""
    person = order.customer
    if person is None:
        return {
            "first_name": order.guest_first_name,
            "last_name": order.guest_last_name,
            "phone": order.guest_phone,
        }
    return {"first_name": person.first_name, "last_name": person.last_name, "phone": person.phone}


# --- start -----------------------------------------------------------------------------------


@desk_view(Perm.USE_DESK)
def cart_new_guest(request):
    """Guest order: the guest's name and e-mail (optional now, needed before submit)."""
    if request.method == "POST":
        guest = {k: request.POST.get(k, "") for k in ("first_name", "last_name", "email", "phone")}
        try:
            order = services.cart_create(actor=request.user, guest=guest)
        except DomainError as exc:
            return render(
                request, "orders/guest_new.html", {"errors": _error_fields(exc), "data": guest}
            )
        return redirect("orders:order", pk=order.pk)
    return render(request, "orders/guest_new.html", {"errors": {}, "data": {}})


@desk_view(Perm.USE_DESK)
def cart_new_for_customer(request, customer_id: int):
    customer = get_object_or_404(Customer, pk=customer_id)
    parked = selectors.order_search(customer_id=customer.pk, status=OrderStatus.PENDING).first()
    if request.method == "GET" and parked is not None and "new" not in request.GET:
        return render(request, "orders/resume_cart.html", {"customer": customer, "parked": parked})
    try:
        order = services.cart_create(actor=request.user, customer=customer)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(
            request, "orders/resume_cart.html", {"customer": customer, "refused": exc.message}
        )
    return redirect("orders:order", pk=order.pk)


# --- the order screen ------------------------------------------------------------------------


@desk_view(Perm.USE_DESK)
def order_screen(request, pk: int):
    order = _order(pk)
    if order.status != OrderStatus.PENDING:
        return order_detail(request, order)
    changes = services.cart_reopen(actor=request.user, order=order)
    for change in changes:
        messages.warning(request, change)
    if changes:
        order = _order(pk)
    return render(
        request,
        "orders/order_screen.html",
        _context(order, customer_context=customer_context(order)),
    )


@desk_view(Perm.USE_DESK)
def suggest(request, pk: int):
    query, _quantity = item_entry(request.GET.get("q") or request.GET.get("sku") or "")
    if len(query) < 2:
        return HttpResponse("")
    items = ext.find_items(query, limit=8)
    promotion_code = selectors.promotion_code_offered(query, items)
    for item in items:
        item.buyable = ext.is_buyable(item)
    order = _order(pk)
    prices = ext.list_prices(
        sku_ids=[i.pk for i in items], customer=order.customer, currency=order.currency
    )
    avail = ext.availability(sku_ids=[i.pk for i in items])
    for item in items:
        item.price = prices.get(item.pk)
        item.avail = selectors.availability_view(avail.get(item.pk), 1)
    return render(
        request,
        "orders/_suggest.html",
        {"items": items, "query": query, "promotion_code": promotion_code},
    )


@desk_view(Perm.USE_DESK)
@require_POST
def line_add(request, pk: int):
    """The item box: an item with its quantity, or a promotion code the caller quoted."""
    order = Order(pk=pk)  # the service claims and loads it; no read needed here
    text, quantity = item_entry(request.POST.get("sku", ""), request.POST.get("quantity"))
    said = {}  # the message when a promotion code was entered

    def enter():
        entry = services.item_box_enter(
            actor=request.user, order=order, text=text, quantity=quantity, version=_version(request)
        )
        if entry.line is None:
            said["level"], said["message"] = code_entered_message(entry.code, entry.refusal)
        return entry

    return _act(
        request,
        order,
        enter,
        returns_line=True,
        answer=lambda entry: _render_changed_line(entry.line) if entry.line else None,
        success=lambda: said.get("message"),
        level=lambda: said.get("level", "success"),
    )


@desk_view(Perm.USE_DESK)
@require_POST
def line_update(request, pk: int, line_id: int):
    order = Order(pk=pk)  # the service claims and loads it; no read needed here
    return _act(
        request,
        order,
        lambda: services.line_update(
            actor=request.user,
            order=order,
            line_id=line_id,
            quantity=request.POST.get("quantity"),
            ship_to_id=request.POST.get("ship_to") or None,
            version=_version(request),
        ),
        returns_line=True,
        answer=_render_changed_line,
    )


@desk_view(Perm.USE_DESK)
@require_POST
def line_remove(request, pk: int, line_id: int):
    order = Order(pk=pk)  # the service claims and loads it; no read needed here
    return _act(
        request,
        order,
        lambda: services.line_remove(
            actor=request.user, order=order, line_id=line_id, version=_version(request)
        ),
    )


@desk_view(Perm.USE_DESK)
@require_POST
def adjustment_remove(request, pk: int, adjustment_id: int):
    """Withdraw a pending adjustment, or take an approved or rejected one off the cart."""
    order = Order(pk=pk)  # the service claims and loads it; no read needed here
    return _act(
        request,
        order,
        lambda: services.adjustment_remove(
            actor=request.user,
            order=order,
            adjustment_id=adjustment_id,
            version=_version(request),
        ),
        success="Adjustment taken off the order.",
        level=lambda: "success",
    )


@desk_view(Perm.USE_DESK)
@require_POST
def settings_set(request, pk: int):
    """The top row: current ship-to, its shipping method, the ATP choice."""
    order = _order(pk)
    post = request.POST

    def act():
        version = _version(request)
        if post.get("ship_to") and int(post["ship_to"]) != order.current_ship_to_id:
            services.ship_to_select(
                actor=request.user, order=order, ship_to_id=post["ship_to"], version=version
            )
        elif post.get("method") and post.get("ship_to"):
            services.shipping_method_set(
                actor=request.user,
                order=order,
                ship_to_id=post["ship_to"],
                method_code=post["method"],
                version=version,
            )
        if post.get("atp") and post["atp"] != order.atp_choice:
            notes = services.atp_choice_set(actor=request.user, order=order, choice=post["atp"])
            said.extend(notes)

    said: list[str] = []
    response = _act(request, order, act)
    if said and response.get("HX-Retarget") == "#cart":
        return _render_cart(request, order, message=" ".join(said), level="warning")
    return response


@desk_view(Perm.USE_DESK)
@require_POST
def move_backorders(request, pk: int):
    order = _order(pk)
    try:
        new_order = services.backorders_move(actor=request.user, order=order)
    except DomainError as exc:
        if order.status == OrderStatus.PENDING and request.htmx:
            return _render_cart(request, order, message=exc.message)
        messages.error(request, exc.message)
        return redirect("orders:order", pk=order.pk)
    text = f"Backordered items moved to {new_order}."
    if order.status == OrderStatus.PENDING and request.htmx:
        return _render_cart(request, order, message=text, level="success")
    messages.success(request, text)
    return redirect("orders:order", pk=order.pk)


@desk_view(Perm.USE_DESK)
def panel(request, pk: int, name: str):
    if name not in PANELS:
        raise Http404("No such panel")
    order = _order(pk)
    if request.method == "GET":
        return _render_panel(request, order, name)
    form = PANELS[name][1](request.POST)
    if not form.is_valid():
        return _render_panel(request, order, name, errors=form_errors(form), data=request.POST)
    response = _act(
        request,
        order,
        lambda: form.save(actor=request.user, order=order),
        panel=name if form.closes_panel else None,
        success=lambda: form.success,
        level=lambda: form.level,
    )
    if form.awaits_approval:
        return _pending(request, order)
    return response


# --- review, submit, after ---------------------------------------------------------------------


@desk_view(Perm.USE_DESK)
def review(request, pk: int, *, message=None, level="error", problems=None, status=200):
    order = _order(pk)
    if order.status != OrderStatus.PENDING:
        return redirect("orders:order", pk=order.pk)
    context = _context(order)
    context.update(
        problems=services.submit_problems(order) if problems is None else problems,
        submit_key=uuid.uuid4().hex,
        message=message or (order.attention or None),
        level=level,
    )
    return render(request, "orders/review.html", context, status=status)


@desk_view(Perm.USE_DESK)
@require_POST
def submit(request, pk: int):
    order = _order(pk)
    try:
        result = services.submit_order(
            actor=request.user,
            order=order,
            idempotency_key=request.POST.get("key", ""),
            expected_total=request.POST.get("expected_total") or None,
        )
    except services.PricesChanged as exc:
        return review(request, pk=pk, message=exc.message, level="warning")
    except services.SubmitIncomplete as exc:
        return review(request, pk=pk, message=exc.message, problems=exc.extra.get("problems"))
    except DomainError as exc:
        order.refresh_from_db()
        if order.status != OrderStatus.PENDING:
            return redirect("orders:order", pk=order.pk)
        return review(request, pk=pk, message=exc.message)
    if not result.placed and result.order.status == OrderStatus.PENDING:
        return review(request, pk=pk, message=result.message)
    return redirect("orders:placed", pk=result.order.pk)


@desk_view(Perm.USE_DESK)
def placed(request, pk: int):
    order = _order(pk)
    if order.status == OrderStatus.PENDING:
        return redirect("orders:order", pk=order.pk)
    # Holds placed at submit (credit limit, fraud score): the CSR tells the customer now.
    return render(request, "orders/placed.html", _context(order, holds=selectors.open_holds(order)))


def order_detail(request, order: Order):
    context = selectors.order_detail(order)
    context["detail"] = order.pricing_detail or {}
    context["customer_context"] = customer_context(order)
    context["has_backorders"] = any(
        line.inventory_status == "backordered" for line in context["lines"]
    ) and order.status in (OrderStatus.AUTHORIZED, OrderStatus.BACKORDERED)
    return render(request, "orders/order_detail.html", context)


@desk_view(Perm.USE_DESK)
@require_POST
def cancel(request, pk: int):
    order = _order(pk)
    try:
        services.cancel_order(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{order} canceled.")
    return redirect("orders:order", pk=order.pk)


@desk_view(Perm.USE_DESK)
@require_POST
def reorder(request, pk: int):
    order = _order(pk)
    try:
        cart = services.reorder(actor=request.user, order=order)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:order", pk=order.pk)
    if cart.skipped:
        messages.warning(request, "Not added (no longer sold): " + ", ".join(cart.skipped))
    return redirect("orders:order", pk=cart.pk)


@desk_view(Perm.USE_DESK)
@require_POST
def comment_on_order(request, pk: int):
    order = _order(pk)
    try:
        services.comment_add(
            actor=request.user,
            order=order,
            text=request.POST.get("text", ""),
            email_customer=bool(request.POST.get("email_customer")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("orders:order", pk=order.pk)


# --- find ------------------------------------------------------------------------------------

FIND_FIELDS = (
    "q",
    "number",
    "logon_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "postal_code",
    "street",
    "city",
    "sku",
    "status",
    "created_from",
    "created_to",
    "modified_from",
    "modified_to",
)


FIND_PAGE = 50


@desk_view(Perm.USE_DESK)
def find(request):
    import datetime as dt

    params = {k: request.GET.get(k, "").strip() for k in FIND_FIELDS}
    errors = {}
    dates = {}
    for k in ("created_from", "created_to", "modified_from", "modified_to"):
        if params[k]:
            try:
                dates[k] = dt.date.fromisoformat(params[k])
            except ValueError:
                errors[k] = "Use a date like 2026-11-25."
    searched = any(params.values())
    results = []
    if searched and not errors:
        kwargs = {k: v for k, v in params.items() if v and k not in dates}
        kwargs["query"] = kwargs.pop("q", None)
        kwargs.update(dates)
        results = list(selectors.order_search(limit=FIND_PAGE, **kwargs)[:FIND_PAGE])
    return render(
        request,
        "orders/find.html",
        {
            "params": params,
            "errors": errors,
            "results": results,
            "searched": searched,
            "statuses": OrderStatus.choices,
            "page_size": FIND_PAGE,
            "advanced": any(params[k] for k in FIND_FIELDS[1:]),
        },
    )


@desk_view(Perm.USE_DESK)
def customer_orders(request, customer_id: int):
    orders = list(selectors.customer_orders(customer_id=customer_id)[:20])
    return render(
        request, "orders/_customer_orders.html", {"orders": orders, "customer_id": customer_id}
    )

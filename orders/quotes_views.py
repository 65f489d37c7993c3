"""Quote screens: the quote box on the cart screen (E), open quotes with time left (order
screen and customer page, htmx partials), the quote with convert / copy / cancel, and the
supervisors' report of open quotes by value. Thin: parse, call one service, render."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import desk_view
from core.roles import Perm
from orders import quotes_selectors as selectors
from orders.models import Order, QuoteStatus
from orders.services import quotes as services


def _quote(quote_id):
    quote = selectors.quote_get(quote_id)
    if quote is None:
        raise Http404("No such quote")
    return quote


def _with_time_left(quotes):
    for quote in quotes:
        quote.left = selectors.time_left(quote)
    return quotes


@desk_view(Perm.USE_DESK)
def cart_box(request, pk: int):
    """On the cart screen: this cart's quote, or the key to quote it; the customer's other open
    quotes with their time left."""
    order = Order.objects.filter(pk=pk).only("pk", "customer_id", "status").first()
    if order is None:
        raise Http404("No such cart")
    own = _with_time_left(selectors.quote_list(order_id=order.pk)[:1])
    others = []
    if order.customer_id:
        others = [
            q for q in selectors.open_quotes(customer_id=order.customer_id) if q.order_id != pk
        ]
    return render(
        request,
        "orders/quotes/_cart_box.html",
        {
            "order": order,
            "quote": own[0] if own else None,
            "others": _with_time_left(others),
            "default_days": settings.QUOTES_DEFAULT_DAYS,
            "max_days": services.max_quote_days(request.user),
        },
    )


@desk_view(Perm.USE_DESK)
def open_list(request):
    """Open quotes of a customer (?customer=) or of a cart (?order=), with their time left."""
    try:
        customer_id = int(request.GET.get("customer") or 0)
        order_id = int(request.GET.get("order") or 0)
    except ValueError:
        raise Http404("No such customer or cart") from None
    quotes = selectors.open_quotes(customer_id=customer_id or None, order_id=order_id or None)
    return render(request, "orders/quotes/_open.html", {"quotes": _with_time_left(quotes)})


@desk_view(Perm.USE_DESK)
@require_POST
def create(request, pk: int):
    order = Order.objects.filter(pk=pk).first()
    if order is None:
        raise Http404("No such cart")
    try:
        quote = services.quote_create(
            actor=request.user, order=order, days=request.POST.get("days") or None
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:order", pk=pk)
    messages.success(request, f"Quote {quote.number} made; the customer gets it by e-mail.")
    return redirect("orders:quote", quote_id=quote.pk)


def _detail(request, quote, **extra):
    context = {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "left": selectors.time_left(quote) if quote.status == QuoteStatus.OPEN else "",
        "key": uuid.uuid4().hex,
        "max_days": services.max_quote_days(request.user),
        **extra,
    }
    return render(request, "orders/quotes/detail.html", context)


@desk_view(Perm.USE_DESK)
def detail(request, quote_id: int):
    return _detail(request, _quote(quote_id))


@desk_view(Perm.USE_DESK)
@require_POST
def convert(request, quote_id: int):
    quote = _quote(quote_id)
    try:
        result = services.quote_convert(
            actor=request.user,
            quote=quote,
            idempotency_key=request.POST.get("key", ""),
            confirmed_total=request.POST.get("confirmed_total") or None,
        )
    except services.QuoteRepriced as exc:
        return _detail(request, _quote(quote_id), repriced=exc.extra, message=exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:quote", quote_id=quote_id)
    if result.placed:
        return redirect("orders:placed", pk=result.order.pk)
    messages.error(request, result.message)
    return redirect("orders:quote", quote_id=quote_id)


@desk_view(Perm.USE_DESK)
@require_POST
def copy(request, quote_id: int):
    try:
        cart = services.quote_copy(actor=request.user, quote=_quote(quote_id))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:quote", quote_id=quote_id)
    return redirect("orders:order", pk=cart.pk)


@desk_view(Perm.USE_DESK)
@require_POST
def cancel(request, quote_id: int):
    try:
        services.quote_cancel(
            actor=request.user, quote=_quote(quote_id), reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Quote canceled; its stock and promotion uses went back.")
    return redirect("orders:quote", quote_id=quote_id)


@desk_view(Perm.USE_DESK)
@require_POST
def extend(request, quote_id: int):
    try:
        quote = services.quote_extend(
            actor=request.user, quote=_quote(quote_id), days=request.POST.get("days")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Quote {quote.number} now holds until the new date.")
    return redirect("orders:quote", quote_id=quote_id)


@desk_view(Perm.SUPERVISE)
def report(request):
    quotes, summary = selectors.open_quotes_by_value()
    return render(
        request,
        "orders/quotes/report.html",
        {"quotes": _with_time_left(quotes), "summary": summary},
    )

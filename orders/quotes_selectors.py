"""Reads of quotes shared by the screens and the API."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from orders.models import Quote, QuoteLine, QuoteStatus


def quote_list(
    *, status: str | None = None, customer_id: int | None = None, order_id: int | None = None
) -> QuerySet[Quote]:
    """Quotes, soonest to expire first, with their cart and customer."""
    qs = Quote.objects.select_related("order__customer", "created_by")
    if status:
        qs = qs.filter(status=status)
    if customer_id:
        qs = qs.filter(order__customer_id=customer_id)
    if order_id:
        qs = qs.filter(order_id=order_id)
    return qs.order_by("expires_at", "pk")


def quote_get(quote_id) -> Quote | None:
    return (
        Quote.objects.select_related("order__customer", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.select_related("sku").order_by("pk"))
        )
        .filter(pk=quote_id)
        .first()
    )


def open_quotes(*, customer_id: int | None = None, order_id: int | None = None) -> list[Quote]:
    """Open quotes not yet past their date (of a customer, or of the customer of an order's
    cart), with the time left, for the order screen and the customer page."""
    qs = quote_list(status=QuoteStatus.OPEN).filter(expires_at__gt=timezone.now())
    if customer_id:
        qs = qs.filter(order__customer_id=customer_id)
    elif order_id:
        qs = qs.filter(order_id=order_id)
    else:
        return []
    return list(qs[:20])


def open_quotes_by_value(*, limit: int = 100) -> tuple[list[Quote], dict]:
    """The supervisors' report: open quotes, largest total first, and their count and value."""
    qs = quote_list(status=QuoteStatus.OPEN)
    summary = qs.aggregate(value=Sum("total"))
    summary["count"] = qs.count()
    return list(qs.order_by("-total", "expires_at", "pk")[:limit]), summary


def time_left(quote: Quote, now=None) -> str:
    """'3 d 4 h', '5 h 10 min', 'expired'."""
    seconds = int((quote.expires_at - (now or timezone.now())).total_seconds())
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {rest // 60} min"

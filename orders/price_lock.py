"""The price lock of an open quote: while the quote holds, a reprice of its cart writes the
quoted line prices and totals back over the engine's result (rules that changed since, or a
limited promotion that ran out, do not move them). Called at the end of every reprice
(`orders/pricing.py`), so the ordinary submit charges the quoted total.

The lock holds while the quote is open, not past its expiry, and the cart still has the quoted
lines (same line, SKU and quantity): a cart edited after quoting is priced as any cart.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from core.bulk import update_rows
from orders.models import Order, OrderLine, Quote, QuoteStatus

TOTAL_FIELDS = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")


def live_quotes(order_id: int, now=None) -> QuerySet[Quote]:
    """The cart's quote if it is open and not past its expiry (one at most)."""
    return Quote.objects.filter(
        order_id=order_id, status=QuoteStatus.OPEN, expires_at__gt=now or timezone.now()
    )


def live_quote(order_id: int, now=None) -> Quote | None:
    return live_quotes(order_id, now).first()


def apply_price_lock(order: Order, now=None) -> Quote | None:
    """Write the quoted prices and totals onto the cart if its quote's lock holds; returns the
    quote whose prices now stand, or None (the engine's prices stand)."""
    quote = live_quote(order.pk, now)
    if quote is None:
        return None
    quoted = {
        q[0]: q
        for q in quote.lines.filter(is_gift=False).values_list(
            "line_id", "sku_id", "quantity", "unit_price", "discount_total", "line_total"
        )
    }
    current = list(
        OrderLine.objects.filter(order_id=order.pk, is_gift=False).values_list(
            "pk", "sku_id", "quantity", "unit_price", "discount_total", "line_total"
        )
    )
    if {c[0]: c[1:3] for c in current} != {k: q[1:3] for k, q in quoted.items()}:
        return None
    update_rows(
        OrderLine,
        ["unit_price", "discount_total", "line_total"],
        [(c[0], *quoted[c[0]][3:]) for c in current if c[3:] != quoted[c[0]][3:]],
    )
    values = {name: getattr(quote, name) for name in TOTAL_FIELDS}
    detail = dict(order.pricing_detail or {})
    detail["price_lock"] = {
        "quote": quote.number,
        "expires_at": quote.expires_at.isoformat(),
        "engine_total": str(order.total),
    }
    values["pricing_detail"] = detail
    Order.objects.filter(pk=order.pk).update(**values)
    for k, v in values.items():
        setattr(order, k, v)
    return quote

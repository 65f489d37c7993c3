"""Pricing's reads, shared by screens, the API and other apps."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from pricing import engine, loader
from pricing import models as m


def list_prices(
    *, sku_ids, customer=None, currency: str, quantity: int = 1, now=None
) -> dict[int, Decimal]:
    """Each SKU's entitled unit price for this customer (None: a guest) at `quantity`.
    SKUs without a price in `currency` are left out."""
    from catalog.models import SKU

    now = now or timezone.now()
    sku_ids = list(sku_ids)
    if not sku_ids:
        return {}
    rules = loader.rules_for_skus(loader.active_rules(), set(sku_ids), currency)
    segment_ids, organization_id = loader.customer_facts(customer)
    snapshot = engine.Snapshot(
        currency=currency,
        now=now,
        customer_id=customer.pk if customer is not None else None,
        segment_ids=segment_ids,
        organization_id=organization_id,
    )
    found = {}
    for sku in SKU.objects.filter(pk__in=sku_ids).select_related("product__category"):
        line = loader.cart_line(sku.pk, sku, quantity)
        price = engine.entitled_price(rules, snapshot, line)
        if price is not None:
            found[sku.pk] = price[0]
    return found


def order_explanation(*, order, now=None) -> engine.Explanation:
    """ "Pricing rule details" for an order: what applied (with amounts), what did not and
    why, and the near misses. Reads only."""
    from pricing.services import price_order

    priced, _ = price_order(order=order, now=now)
    return priced.explanation


def pending_adjustments() -> QuerySet[m.OrderAdjustment]:
    return (
        m.OrderAdjustment.objects.filter(status=m.OrderAdjustment.Status.PENDING)
        .select_related("order", "order__customer", "line__sku", "requested_by")
        .order_by("created_at", "id")
    )


def order_adjustments(*, order) -> QuerySet[m.OrderAdjustment]:
    return m.OrderAdjustment.objects.filter(order_id=order.pk).select_related(
        "line__sku", "requested_by", "approved_by"
    )


def wallet(*, customer, now=None) -> QuerySet[m.Coupon]:
    """The customer's coupons that can still be redeemed."""
    now = now or timezone.now()
    return (
        m.Coupon.objects.filter(
            customer=customer, status=m.Coupon.Status.AVAILABLE, expires_at__gt=now
        )
        .select_related("promotion")
        .order_by("expires_at", "id")
    )


def order_codes(*, order) -> QuerySet[m.OrderPromotionCode]:
    return m.OrderPromotionCode.objects.filter(order_id=order.pk).select_related("promotion")

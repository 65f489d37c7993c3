"""Pricing's reads, shared by screens, the API and other apps."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from catalog.models import SKU
from core.db import CompiledQuery
from core.errors import DomainError
from pricing import engine, loader
from pricing import models as m
from pricing.services.repricing import price_order


def list_prices(
    *, sku_ids, customer=None, currency: str, quantity: int = 1, now=None
) -> dict[int, Decimal]:
    """Each SKU's entitled unit price for this customer (None: a guest) at `quantity`.
    SKUs without a price in `currency` are left out."""
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


def order_explanation(*, order: loader.OrderFacts, now=None) -> engine.Explanation:
    """ "Pricing rule details" for the order orders described: what applied (with amounts),
    what did not and why, and the near misses. Reads only."""
    priced, _ = price_order(order=order, now=now)
    return priced.explanation


def adjustment(*, adjustment_id) -> m.OrderAdjustment | None:
    return m.OrderAdjustment.objects.filter(pk=adjustment_id).first()


def pending_adjustments() -> QuerySet[m.OrderAdjustment]:
    return (
        m.OrderAdjustment.objects.filter(status=m.OrderAdjustment.Status.PENDING)
        .select_related("order", "order__customer", "line__sku", "requested_by")
        .order_by("created_at", "id")
    )


def awaiting_approval(*, order_id: int) -> int:
    """How many of the order's adjustments wait for a supervisor."""
    return m.OrderAdjustment.objects.filter(
        order_id=order_id, status=m.OrderAdjustment.Status.PENDING
    ).count()


def _adjustments_of(order_id: int) -> QuerySet[m.OrderAdjustment]:
    return m.OrderAdjustment.objects.filter(order_id=order_id).select_related(
        "line__sku", "requested_by", "approved_by"
    )


# Compiled once (core.db.CompiledQuery): the cart draws its adjustments on every change.
_ADJUSTMENTS_OF = CompiledQuery(_adjustments_of, int)


def order_adjustments(*, order) -> list[m.OrderAdjustment]:
    """The order's adjustments, with their line's SKU and who asked and approved."""
    return _ADJUSTMENTS_OF.objects(order.pk)


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


def is_promotion_code(text: str) -> bool:
    """Whether a promotion has this code (offered or not: entering it says why not)."""
    return bool(_code_in_full((text or "").strip()))


def _code_in_full(typed: str) -> str:
    """The code of the promotion whose code this is, in any case ('' for none)."""
    if not typed:
        return ""
    code = m.Promotion.objects.filter(code__iexact=typed).values_list("code", flat=True).first()
    return (code or "").upper()


# The start of a code that names it: fewer letters would offer a code to a CSR who is typing
# an item's code or name.
PROMOTION_CODE_PREFIX_MIN = 3


def promotion_code_named(text: str, *, now=None) -> str:
    """The promotion code the text names, as the caller quoted it: a code in full (offered or
    not: entering it says why not), or the start of the code of exactly one promotion running
    now, which the CSR then reads back before entering it. '' when it names none."""
    typed = (text or "").strip()
    if " " in typed:
        return ""
    exact = _code_in_full(typed)
    if exact or len(typed) < PROMOTION_CODE_PREFIX_MIN:
        return exact
    now = now or timezone.now()
    running = (
        m.Promotion.objects.filter(code__istartswith=typed, is_active=True, is_coupon=False)
        .values_list("code", flat=True)
        .exclude(starts_at__gt=now)
        .exclude(ends_at__lte=now)
    )
    found = list(running[:2])
    return found[0].upper() if len(found) == 1 else ""


def order_codes(*, order) -> QuerySet[m.OrderPromotionCode]:
    return m.OrderPromotionCode.objects.filter(order_id=order.pk).select_related("promotion")


def quote_cart(
    *,
    items,
    customer=None,
    codes=(),
    coupon_ids=(),
    currency: str | None = None,
    country: str = "",
    region: str = "",
    postal_code: str = "",
    shipping_method=None,
    now=None,
) -> engine.PricedOrder:
    """Price a cart that is not an order (admin preview, the quote API).

    `items`: (SKU code, quantity) pairs. Unknown SKU codes raise DomainError naming them.
    `codes` count as entered; `coupon_ids` must be the customer's usable coupons.
    """
    now = now or timezone.now()
    currency = currency or (customer.preferred_currency if customer else settings.STORE_CURRENCY)
    wanted = [(str(code).strip(), int(qty)) for code, qty in items]
    if any(qty < 1 for _, qty in wanted):
        raise DomainError("Quantities must be at least 1.", field="items")
    skus = {
        s.code.upper(): s
        for s in SKU.objects.filter(code__in=[c for c, _ in wanted]).select_related(
            "product__category"
        )
    }
    if len(skus) < len({c.upper() for c, _ in wanted}):
        # second chance, case-insensitive
        for code, _ in wanted:
            if code.upper() not in skus:
                found = (
                    SKU.objects.filter(code__iexact=code)
                    .select_related("product__category")
                    .first()
                )
                if found is not None:
                    skus[code.upper()] = found
    unknown = [c for c, _ in wanted if c.upper() not in skus]
    if unknown:
        raise DomainError(f"Unknown SKU: {', '.join(unknown)}.", field="items")
    ship_to = engine.ShipTo(
        key="1",
        method_id=shipping_method.pk if shipping_method is not None else None,
        country=(country or "").upper(),
        region=(region or "").strip().upper(),
        postal_code=(postal_code or "").replace(" ", "").upper(),
    )
    lines = tuple(
        loader.cart_line(i + 1, skus[code.upper()], qty, "1")
        for i, (code, qty) in enumerate(wanted)
    )
    base = loader.active_rules()
    rules = loader.rules_for_skus(base, {x.sku_id for x in lines}, currency)
    segment_ids, organization_id = loader.customer_facts(customer)
    coupon_promotions = frozenset()
    if customer is not None and coupon_ids:
        coupon_promotions = frozenset(
            wallet(customer=customer, now=now)
            .filter(pk__in=list(coupon_ids))
            .values_list("promotion_id", flat=True)
        )
    snapshot = engine.Snapshot(
        currency=currency,
        now=now,
        lines=lines,
        customer_id=customer.pk if customer is not None else None,
        segment_ids=segment_ids,
        organization_id=organization_id,
        codes=frozenset(str(c).strip().upper() for c in codes if str(c).strip()),
        coupon_promotion_ids=coupon_promotions,
        ship_tos=(ship_to,),
        allowances=loader.allowances(
            base, None, customer.pk if customer is not None else None, lines
        ),
    )
    return engine.price(snapshot, rules)

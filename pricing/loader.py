"""Builds the engine's inputs: the active rules (cached) and an order's snapshot.

The rules (price-list headers, promotions, shipping rates, tax rates) are cached in Django's
cache under a version key; any change to a rule bumps the version (`bump_rules_version`, called
by the admin, the services and a tiny post_save/post_delete hook in apps.py that does nothing
else). Each process also keeps the last rules it unpickled, so a warm reprice costs one cache
read for the version plus the order's own queries. Price-list entries are not cached (a
catalog can have millions); the loader reads only the cart's SKUs' entries, in one query.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from pricing import engine as e
from pricing import models as m

VERSION_KEY = "pricing:rules-version"
RULES_TTL = 24 * 3600
_local = threading.local()


def _version_ttl() -> int | None:
    """A shared cache (Redis) carries a bump to every process at once. A per-process cache
    (local memory, the no-Redis default) cannot, so there the version expires every 30 s:
    another worker process sees a rule change within 30 s at most."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return 30 if backend.endswith("LocMemCache") else None


def rules_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, _version_ttl())
        version = cache.get(VERSION_KEY)
    return version


def bump_rules_version(**_ignored) -> None:
    """A rule changed: every process rebuilds its rules on the next reprice."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, _version_ttl())
    _local.__dict__.clear()


def active_rules() -> e.Rules:
    """The active rules without price-list entries (see `rules_for_skus`)."""
    version = rules_version()
    if getattr(_local, "version", None) == version:
        return _local.rules
    key = f"pricing:rules:{version}"
    rules = cache.get(key)
    if rules is None:
        rules = build_rules()
        cache.set(key, rules, RULES_TTL)
    _local.version, _local.rules = version, rules
    return rules


def _ids(manager_rows) -> frozenset[int]:
    return frozenset(x.pk for x in manager_rows)


def build_rules() -> e.Rules:
    price_lists = tuple(
        e.PriceListRule(
            id=pl.pk,
            name=pl.name,
            currency=pl.currency,
            kind=e.PriceListKind(pl.kind),
            segment_id=pl.segment_id,
            organization_id=pl.organization_id,
            priority=pl.priority,
            starts_at=pl.starts_at,
            ends_at=pl.ends_at,
            base_list_id=pl.base_list_id,
            category_adjustments=tuple(
                e.CategoryAdjustment(a.category_id, a.signed_percent)
                for a in pl.category_adjustments.all()
            ),
        )
        for pl in m.PriceList.objects.filter(is_active=True).prefetch_related(
            "category_adjustments"
        )
    )
    promotions = tuple(
        promotion_rule(p)
        for p in m.Promotion.objects.filter(is_active=True)
        .select_related("gift_sku")
        .prefetch_related("segments", "skus", "categories", "shipping_methods", "get_skus")
    )
    rates = []
    for r in m.ShippingRate.objects.filter(method__is_active=True).select_related("method"):
        rates.append(
            e.ShippingRateRule(
                method_id=r.method_id,
                method_name=r.method.name,
                currency=r.currency,
                basis=e.ShippingBasis(r.basis),
                amount=r.amount,
                bands=tuple((b.from_value, b.charge) for b in r.bands.all()),
                country=str(r.country or ""),
            )
        )
    taxes = tuple(
        e.TaxRateRule(
            tax_code=t.category.code,
            country=str(t.country),
            region=t.region,
            postal_prefix=t.postal_prefix,
            name=t.name,
            rate=t.rate,
        )
        for t in m.TaxRate.objects.select_related("category")
    )
    return e.Rules(
        price_lists=price_lists, promotions=promotions, shipping_rates=tuple(rates), tax_rates=taxes
    )


def promotion_rule(p: m.Promotion) -> e.PromotionRule:
    """One Promotion row (with its many-to-many prefetched) as the engine's rule."""
    return e.PromotionRule(
        id=p.pk,
        name=p.name,
        reward=e.Reward(p.reward),
        priority=p.priority,
        exclusive=p.exclusive,
        segment_ids=_ids(p.segments.all()),
        code=p.code.upper(),
        code_required=p.code_required,
        coupon=p.is_coupon,
        schedule=e.Schedule(
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            days_of_week=p.days,
            time_from=p.time_from,
            time_to=p.time_to,
            time_zone=p.time_zone,
        ),
        currency=p.currency if p.reward in m.AMOUNT_REWARDS else "",
        sku_ids=_ids(p.skus.all()),
        category_ids=_ids(p.categories.all()),
        min_quantity=p.min_quantity,
        min_amount=p.min_amount or Decimal("0"),
        shipping_method_ids=_ids(p.shipping_methods.all()),
        percent=p.percent if p.percent is not None else Decimal("0"),
        amount=p.amount or Decimal("0"),
        buy_quantity=p.buy_quantity or 0,
        get_quantity=p.get_quantity or 0,
        get_sku_ids=_ids(p.get_skus.all()),
        gift_sku_id=p.gift_sku_id,
        gift_sku_code=p.gift_sku.code if p.gift_sku_id else "",
        gift_quantity=p.gift_quantity,
        max_per_order=p.limit_per_order,
        limit_per_customer=p.limit_per_customer,
        limit_overall=p.limit_overall,
        description=p.description,
    )


def rules_for_skus(rules: e.Rules, sku_ids, currency: str) -> e.Rules:
    """The rules with the price entries of these SKUs filled in (one query)."""
    list_ids = [pl.id for pl in rules.price_lists if pl.currency == currency]
    prices: dict[int, dict[int, list[e.PriceTier]]] = defaultdict(lambda: defaultdict(list))
    if list_ids and sku_ids:
        for list_id, sku_id, min_q, amount in m.PriceListEntry.objects.filter(
            price_list_id__in=list_ids, sku_id__in=list(sku_ids)
        ).values_list("price_list_id", "sku_id", "min_quantity", "price"):
            prices[list_id][sku_id].append(e.PriceTier(min_q, amount))
    lists = tuple(
        dataclasses.replace(pl, prices={k: tuple(v) for k, v in prices[pl.id].items()})
        if pl.id in prices
        else pl
        for pl in rules.price_lists
    )
    filled = dataclasses.replace(rules, price_lists=lists)
    # The derived indexes depend only on the cached rules: compute them once there (they then
    # live as long as the process keeps these rules) and share them with every filled copy.
    for cached in ("promotions_in_order", "promotion_index", "rates_by_method", "taxes_by_code"):
        filled.__dict__[cached] = getattr(rules, cached)
    return filled


# --- snapshot ----------------------------------------------------------------------------------


def _path_ids(path: str | None, category_id: int) -> tuple[int, ...]:
    ids = [int(x) for x in (path or "").strip("/").split("/") if x]
    if not ids:
        ids = [category_id]
    return tuple(reversed(ids))


def category_ids_of(category) -> tuple[int, ...]:
    """The category first, then its ancestors (catalog keeps a materialized path)."""
    return _path_ids(getattr(category, "path", ""), category.pk)


class LineRow(NamedTuple):
    """An order line as the loader reads it (values, not a model instance)."""

    pk: int
    sku_id: int
    quantity: int
    ship_to_id: int | None
    is_gift: bool
    unit_price: Decimal
    discount_total: Decimal
    line_total: Decimal
    sku_code: str
    weight_kg: Decimal
    tax_code: str
    category_id: int
    category_path: str


def cart_line(line_id, sku, quantity: int, ship_to: str = "") -> e.CartLine:
    product = sku.product
    return e.CartLine(
        line_id=line_id,
        sku_id=sku.pk,
        sku_code=sku.code,
        quantity=quantity,
        category_ids=category_ids_of(product.category),
        weight_kg=sku.weight_kg or Decimal("0"),
        tax_code=product.tax_code or "standard",
        ship_to=ship_to,
    )


def ship_to_of(address) -> e.ShipTo:
    return e.ShipTo(
        key=str(address.pk),
        method_id=address.shipping_method_id,
        country=str(address.country),
        region=(address.region or "").strip().upper(),
        postal_code=(address.postal_code or "").replace(" ", "").upper(),
    )


@dataclasses.dataclass
class Loaded:
    """What the loader read for one order: the snapshot plus the rows to write back to."""

    snapshot: e.Snapshot
    rules: e.Rules
    lines: list[LineRow]  # the order's non-gift lines, in snapshot order
    gift_lines: list[LineRow]  # the order's gift lines


def customer_facts_by_id(customer_id) -> tuple[frozenset[int], int | None]:
    """Segments and organization of a customer in one query (none for a guest)."""
    if customer_id is None:
        return frozenset(), None
    from customers.models import Customer

    rows = list(
        Customer.objects.filter(pk=customer_id).values_list("organization_id", "segments__id")
    )
    organization_id = rows[0][0] if rows else None
    return frozenset(seg for _, seg in rows if seg is not None), organization_id


def customer_facts(customer) -> tuple[frozenset[int], int | None]:
    if customer is None:
        return frozenset(), None
    segment_ids = frozenset(customer.segments.values_list("id", flat=True))
    return segment_ids, customer.organization_id


def allowances(rules: e.Rules, order_id, customer_id, lines=None) -> tuple[e.Allowance, ...]:
    """Uses left of limited promotions, not counting this order's own final use (2 queries,
    none when no limited promotion concerns the cart's `lines`)."""
    candidates = rules.promotions if lines is None else rules.promotions_for(lines)
    limited = {
        p.id: p
        for p in candidates
        if p.limit_overall is not None or p.limit_per_customer is not None
    }
    if not limited:
        return ()
    used = dict(
        m.PromotionCounter.objects.filter(promotion_id__in=list(limited)).values_list(
            "promotion_id", "used"
        )
    )
    own_final: set[int] = set()
    per_customer: dict[int, int] = {}
    rows = m.PromotionUsage.objects.filter(
        promotion_id__in=list(limited), status=m.UsageStatus.FINAL
    )
    if customer_id is not None:
        rows = rows.filter(Q(order_id=order_id) | Q(customer_id=customer_id))
    else:
        rows = rows.filter(order_id=order_id)
    for promotion_id, usage_order, count in (
        rows.values("promotion_id", "order_id")
        .annotate(n=Count("id"))
        .values_list("promotion_id", "order_id", "n")
        .order_by()
    ):
        if usage_order == order_id:
            own_final.add(promotion_id)
        else:
            per_customer[promotion_id] = per_customer.get(promotion_id, 0) + count
    found = []
    for pid in sorted(limited):
        p = limited[pid]
        own = 1 if pid in own_final else 0
        overall = None
        if p.limit_overall is not None:
            overall = p.limit_overall - used.get(pid, 0) + own
        customer = None
        if p.limit_per_customer is not None and customer_id is not None:
            customer = p.limit_per_customer - per_customer.get(pid, 0)
        found.append(e.Allowance(pid, overall, customer))
    return tuple(found)


def load_order(order, *, now: datetime | None = None, rules: e.Rules | None = None) -> Loaded:
    """Read an order into a snapshot (about eight queries with warm rules)."""
    from orders.models import OrderAddress, OrderLine

    now = now or timezone.now()
    base_rules = rules or active_rules()
    # Plain rows, not model instances: four models per line would cost more than the engine.
    all_lines = [
        LineRow(*row)
        for row in OrderLine.objects.filter(order_id=order.pk)
        .order_by("id")
        .values_list(
            "id",
            "sku_id",
            "quantity",
            "ship_to_id",
            "is_gift",
            "unit_price",
            "discount_total",
            "line_total",
            "sku__code",
            "sku__weight_kg",
            "sku__product__tax_code",
            "sku__product__category_id",
            "sku__product__category__path",
        )
    ]
    lines = [x for x in all_lines if not x.is_gift]
    gift_lines = [x for x in all_lines if x.is_gift]
    addresses = list(
        OrderAddress.objects.filter(order_id=order.pk, kind=OrderAddress.Kind.SHIPPING).order_by(
            "id"
        )
    )
    default_key = ""
    current = getattr(order, "current_ship_to_id", None)
    if current and any(a.pk == current for a in addresses):
        default_key = str(current)
    elif addresses:
        default_key = str(addresses[0].pk)
    segment_ids, organization_id = customer_facts_by_id(order.customer_id)
    codes = frozenset(
        c.upper()
        for c in m.OrderPromotionCode.objects.filter(order_id=order.pk).values_list(
            "code", flat=True
        )
    )
    coupon_promotions = frozenset(
        m.Coupon.objects.filter(order_id=order.pk)
        .filter(
            Q(status=m.Coupon.Status.CONSUMED)
            | Q(status=m.Coupon.Status.AVAILABLE, expires_at__gt=now)
        )
        .values_list("promotion_id", flat=True)
    )
    adjustments = tuple(
        adjustment_of(a)
        for a in m.OrderAdjustment.objects.filter(order_id=order.pk).exclude(
            status=m.OrderAdjustment.Status.REJECTED
        )
    )
    rules_filled = rules_for_skus(base_rules, {x.sku_id for x in lines}, order.currency)
    cart_lines = tuple(
        e.CartLine(
            line_id=x.pk,
            sku_id=x.sku_id,
            sku_code=x.sku_code,
            quantity=x.quantity,
            category_ids=_path_ids(x.category_path, x.category_id),
            weight_kg=x.weight_kg or Decimal("0"),
            tax_code=x.tax_code or "standard",
            ship_to=str(x.ship_to_id) if x.ship_to_id else default_key,
        )
        for x in lines
    )
    snapshot = e.Snapshot(
        currency=order.currency,
        now=now,
        lines=cart_lines,
        customer_id=order.customer_id,
        segment_ids=segment_ids,
        organization_id=organization_id,
        codes=codes,
        coupon_promotion_ids=coupon_promotions,
        adjustments=adjustments,
        ship_tos=tuple(ship_to_of(a) for a in addresses),
        allowances=allowances(base_rules, order.pk, order.customer_id, cart_lines),
    )
    return Loaded(snapshot, rules_filled, lines, gift_lines)


def adjustment_of(a: m.OrderAdjustment) -> e.Adjustment:
    return e.Adjustment(
        id=a.pk,
        kind=e.AdjustmentKind(a.kind),
        value=a.value,
        reason=a.get_reason_code_display(),
        line_id=a.line_id,
        ship_to=None,
        approved=a.status == m.OrderAdjustment.Status.APPROVED,
    )

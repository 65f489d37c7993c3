"""Demo pricing: base CAD list for every demo SKU, a Gold list ~10 % lower, promotions, a
coupon, shipping methods with rates, Canadian and two US states' taxes. Idempotent.

Reads catalog's SKUs (catalog's demo loads first). Where a demo SKU the promotions name is
missing (e.g. CASE-A5), the promotion is still created without it and says so in the log.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils import timezone

from catalog.models import SKU, Category
from core.app_data import DemoData
from core.roles import Role
from customers.models import Customer, Segment
from pricing import models as m
from pricing.loader import bump_rules_version

SHIPPING = [
    # code, name, carrier, basis, flat, bands
    (
        "ground",
        "Ground",
        "Canada Post",
        "weight",
        "0",
        [("0", "8.00"), ("2", "12.00"), ("10", "20.00")],
    ),
    ("express", "Express", "Purolator", "value", "0", [("0", "18.00"), ("100", "14.00")]),
    ("overnight", "Overnight", "FedEx", "flat", "35.00", []),
]

# country, region, name, rate; "shipping" taxes the same way in these jurisdictions
TAXES = [
    ("CA", "", "GST", "5"),
    ("CA", "ON", "HST", "13"),
    ("CA", "NS", "HST", "15"),
    ("CA", "NB", "HST", "15"),
    ("CA", "NL", "HST", "15"),
    ("CA", "PE", "HST", "15"),
    ("CA", "QC", "GST", "5"),
    ("CA", "QC", "QST", "9.975"),
    ("CA", "BC", "GST", "5"),
    ("CA", "BC", "PST", "7"),
    ("CA", "MB", "GST", "5"),
    ("CA", "MB", "RST", "7"),
    ("CA", "SK", "GST", "5"),
    ("CA", "SK", "PST", "6"),
    ("US", "NY", "Sales tax", "8.875"),
    ("US", "WA", "Sales tax", "6.5"),
]


def _price_for(sku) -> Decimal:
    """A stable demo price from the SKU's code: 3.00 to 60.00."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(sku.code))
    return Decimal(300 + seed % 5700) / 100


def load(log) -> None:
    now = timezone.now()
    _load_shipping(log)
    _load_taxes(log)
    gold_segment = _load_price_lists(log)
    thanks = _load_promotions(log, now, gold_segment)
    _issue_coupons(log, now, thanks)
    _load_adjustment_limits(log)
    bump_rules_version()


def _load_shipping(log) -> None:
    methods = {}
    for code, name, carrier, basis, flat, bands in SHIPPING:
        method, _ = m.ShippingMethod.objects.get_or_create(
            code=code, defaults={"name": name, "carrier": carrier}
        )
        methods[code] = method
        rate, _ = m.ShippingRate.objects.get_or_create(
            method=method, currency="CAD", country="", defaults={"basis": basis, "amount": flat}
        )
        for start, charge in bands:
            m.ShippingRateBand.objects.get_or_create(
                rate=rate, from_value=Decimal(start), defaults={"charge": Decimal(charge)}
            )
    log(f"  shipping methods: {', '.join(methods)}")


def _load_taxes(log) -> None:
    standard, _ = m.TaxCategory.objects.get_or_create(
        code="standard", defaults={"name": "Standard"}
    )
    shipping, _ = m.TaxCategory.objects.get_or_create(
        code="shipping", defaults={"name": "Shipping"}
    )
    m.TaxCategory.objects.get_or_create(code="exempt", defaults={"name": "Tax exempt"})
    for category in (standard, shipping):
        for country, region, name, rate in TAXES:
            m.TaxRate.objects.get_or_create(
                category=category,
                country=country,
                region=region,
                postal_prefix="",
                name=name,
                defaults={"rate": Decimal(rate)},
            )
    log(f"  tax rates: {len(TAXES)} jurisdictions × goods and shipping")


def _load_price_lists(log) -> Segment:
    """The base list (with a quantity tier) and the Gold segment's list over it."""
    skus = list(SKU.objects.select_related("product__category").order_by("id"))
    base, _ = m.PriceList.objects.get_or_create(
        name="Base CAD", currency="CAD", defaults={"kind": m.PriceList.Kind.BASE, "priority": 100}
    )
    existing = set(base.entries.values_list("sku_id", flat=True))
    new_entries = [
        m.PriceListEntry(price_list=base, sku=sku, min_quantity=1, price=_price_for(sku))
        for sku in skus
        if sku.pk not in existing
    ]
    # quantity tier: 10 or more of a SKU, 5 % less
    new_entries += [
        m.PriceListEntry(
            price_list=base,
            sku=sku,
            min_quantity=10,
            price=(_price_for(sku) * Decimal("0.95")).quantize(Decimal("0.01")),
        )
        for sku in skus
        if sku.pk not in existing
    ]
    m.PriceListEntry.objects.bulk_create(new_entries, batch_size=1000, ignore_conflicts=True)
    log(f"  Base CAD: {len(skus)} SKUs ({len(new_entries)} new entries, tier at 10)")

    gold_segment, _ = Segment.objects.get_or_create(
        code="gold", defaults={"name": "Gold", "description": "Gold members"}
    )
    gold, _ = m.PriceList.objects.get_or_create(
        name="Gold CAD",
        currency="CAD",
        defaults={
            "kind": m.PriceList.Kind.SEGMENT,
            "segment": gold_segment,
            "priority": 10,
            "base_list": base,
        },
    )
    for root in Category.objects.filter(parent__isnull=True):
        m.CategoryPriceAdjustment.objects.get_or_create(
            price_list=gold,
            category=root,
            defaults={"direction": "off", "percent": Decimal("10")},
        )
    log("  Gold CAD: 10 % off the base list in every top category; guests get the base list")
    return gold_segment


def _load_promotions(log, now, gold_segment: Segment) -> m.Promotion:
    """The demo promotions; returns the coupon promotion."""
    notebooks = list(
        Category.objects.filter(Q(code__icontains="notebook") | Q(name__icontains="notebook"))
    )
    case = SKU.objects.filter(code__iexact="CASE-A5").first()
    if case is None:
        case = SKU.objects.filter(Q(code__icontains="case") | Q(name__icontains="case")).first()
    gold_notebooks, created = m.Promotion.objects.get_or_create(
        name="10% off notebooks for Gold",
        defaults={
            "reward": m.Reward.PRODUCT_PERCENT,
            "percent": Decimal("10"),
            "priority": 10,
            "description": "Gold members save 10 % on every notebook.",
        },
    )
    if created:
        gold_notebooks.segments.set([gold_segment])
        gold_notebooks.categories.set(notebooks)
    gift, created = m.Promotion.objects.get_or_create(
        name="Buy 2 notebooks, get a case",
        defaults={
            "reward": m.Reward.PRODUCT_GIFT,
            "min_quantity": 2,
            "gift_sku": case,
            "limit_per_order": 1,
            "priority": 20,
        },
    )
    if created:
        gift.categories.set(notebooks)
    if case is None:
        log("  (no CASE-A5 SKU in the catalog: the gift promotion has no gift yet)")
    m.Promotion.objects.get_or_create(
        name="Free shipping over 50.00",
        defaults={
            "reward": m.Reward.SHIPPING_FREE,
            "min_amount": Decimal("50.00"),
            "priority": 50,
        },
    )
    m.Promotion.objects.get_or_create(
        name="Spring sale: 15% off the order",
        defaults={
            "reward": m.Reward.ORDER_PERCENT,
            "percent": Decimal("15"),
            "code": "SPRING15",
            "code_required": True,
            "priority": 30,
            "starts_at": now - timedelta(days=7),
            "ends_at": now + timedelta(days=90),
            "limit_per_customer": 1,
            "limit_overall": 500,
        },
    )
    m.Promotion.objects.get_or_create(
        name="Weekend: 5.00 off orders over 40.00",
        defaults={
            "reward": m.Reward.ORDER_FIXED,
            "amount": Decimal("5.00"),
            "min_amount": Decimal("40.00"),
            "days_of_week": "5,6",
            "priority": 40,
        },
    )
    thanks, _ = m.Promotion.objects.get_or_create(
        name="Thank-you coupon: 10.00 off",
        defaults={
            "reward": m.Reward.ORDER_FIXED,
            "amount": Decimal("10.00"),
            "min_amount": Decimal("30.00"),
            "is_coupon": True,
            "coupon_valid_days": 60,
            "priority": 35,
        },
    )
    log("  promotions: Gold notebooks, buy 2 get a case, free shipping, SPRING15, weekend, coupon")
    return thanks


def _issue_coupons(log, now, thanks: m.Promotion) -> None:
    """Coupons for a few customers."""
    issued = 0
    for customer in Customer.objects.order_by("id")[:5]:
        if not m.Coupon.objects.filter(promotion=thanks, customer=customer).exists():
            m.Coupon.objects.create(
                promotion=thanks,
                customer=customer,
                code=f"THANKS-{customer.pk:05d}",
                issued_at=now,
                expires_at=now + timedelta(days=thanks.coupon_valid_days or 60),
            )
            issued += 1
    log(f"  coupons: {issued} issued")


def _load_adjustment_limits(log) -> None:
    for role, percent, amount in [
        (Role.CSR, Decimal("10"), Decimal("50.00")),
        (Role.SUPERVISOR, None, None),
    ]:
        group = Group.objects.filter(name=role.value).first()
        if group is not None:
            m.AdjustmentLimit.objects.get_or_create(
                group=group, defaults={"max_percent": percent, "max_amount": amount}
            )
    log("  adjustment limits: CSR 10 % and 50.00 (both hold); Supervisor unlimited")


# Prices catalog's SKUs, some for customers' segments.
DEMO = DemoData(load=load, after=("catalog", "customers"))

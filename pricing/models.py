"""Pricing rules (price lists, promotions, shipping rates, tax) and what attaches to an order
(codes, coupons, adjustments, promotion usage). Row invariants live here (`clean`); the engine
is in `engine.py`, the write paths in `services.py`."""

import functools
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django_countries.fields import CountryField

from core.models import AuditEvent

MONEY = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"), message="Must not be negative.")]
PERCENT = [
    MinValueValidator(Decimal("0"), message="A percentage must not be negative."),
    MaxValueValidator(Decimal("100"), message="A percentage cannot be over 100."),
]
AT_LEAST_ONE = [MinValueValidator(1, message="A limit must be at least 1 (leave blank for none).")]

WHICH_LIST_WINS = (
    "Which list wins: for each SKU the desk takes the first list that has a price for it, "
    "in this order: the customer's organization's contract lists, then lists of the customer's "
    "segments, then the guest list (guests only), then base lists. Within the same kind the "
    "lower priority number wins. Only active lists in the order's currency and within their "
    "dates count. Within a list the quantity tier with the highest minimum quantity not above "
    "the ordered quantity gives the price. A list with a base list and no entry for a SKU takes "
    "the base list's price, adjusted by its category adjustment (most specific category first)."
)


class ShippingMethod(models.Model):
    """How goods travel (Ground, Express); charges and carrier arrangements hang off it."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    carrier = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _check_dates(obj, start_field: str = "starts_at", end_field: str = "ends_at") -> None:
    start, end = getattr(obj, start_field), getattr(obj, end_field)
    if start and end and end <= start:
        raise ValidationError({end_field: "The end must be after the start."})


# --- price lists -----------------------------------------------------------------------------


class PriceList(models.Model):
    class Kind(models.TextChoices):
        BASE = "base", "Base (everybody)"
        GUEST = "guest", "Guest (shoppers without an account)"
        SEGMENT = "segment", "Segment (member group)"
        CONTRACT = "contract", "Contract (organization)"

    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BASE)
    segment = models.ForeignKey(
        "customers.Segment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "customers.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For contract lists: the organization whose members get these prices.",
    )
    priority = models.PositiveIntegerField(
        default=100, help_text="Lower wins among lists of the same kind. " + WHICH_LIST_WINS
    )
    base_list = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived_lists",
        help_text="SKUs without an entry here take this list's price, adjusted by the "
        "category adjustments below.",
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["currency", "kind", "priority", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def clean(self):
        _check_dates(self)
        if self.kind == self.Kind.SEGMENT and not self.segment_id:
            raise ValidationError({"segment": "A segment list needs its segment."})
        if self.kind == self.Kind.CONTRACT and not self.organization_id:
            raise ValidationError({"organization": "A contract list needs its organization."})
        if self.kind != self.Kind.SEGMENT and self.segment_id:
            raise ValidationError({"segment": "Only segment lists name a segment."})
        if self.kind != self.Kind.CONTRACT and self.organization_id:
            raise ValidationError({"organization": "Only contract lists name an organization."})
        if self.base_list_id and self.pk and self.base_list_id == self.pk:
            raise ValidationError({"base_list": "A list cannot be its own base."})
        if self.base_list_id and self.base_list.currency != self.currency:
            raise ValidationError({"base_list": "The base list must be in the same currency."})
        seen, node = {self.pk}, self.base_list
        while node is not None and self.pk is not None:
            if node.pk in seen:
                raise ValidationError({"base_list": "These base lists would form a loop."})
            seen.add(node.pk)
            node = node.base_list


class PriceListEntry(models.Model):
    """ "Set price": a SKU's unit price from a quantity on."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.CASCADE, related_name="+")
    min_quantity = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1, message="Quantity tiers start at 1.")]
    )
    price = models.DecimalField(**MONEY, validators=NON_NEGATIVE)

    class Meta:
        ordering = ["price_list_id", "sku_id", "min_quantity"]
        verbose_name_plural = "price list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "sku", "min_quantity"], name="price_entry_unique_tier"
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="price_not_negative"),
        ]
        indexes = [models.Index(fields=["sku", "price_list"])]

    def __str__(self) -> str:
        return f"{self.sku_id} from {self.min_quantity}: {self.price}"


class CategoryPriceAdjustment(models.Model):
    """ "Set price adjustments": a percentage off or over the base list for a category."""

    class Direction(models.TextChoices):
        OFF = "off", "% off the base list"
        OVER = "over", "% over the base list"

    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="category_adjustments"
    )
    category = models.ForeignKey("catalog.Category", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.OFF)
    percent = models.DecimalField(max_digits=6, decimal_places=3, validators=PERCENT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_list", "category"], name="category_adj_unique")
        ]

    def __str__(self) -> str:
        return f"{self.percent}% {self.direction} for {self.category_id}"

    @property
    def signed_percent(self) -> Decimal:
        return -self.percent if self.direction == self.Direction.OFF else self.percent

    def clean(self):
        if self.price_list_id and not self.price_list.base_list_id:
            raise ValidationError("Set the price list's base list first: adjustments apply to it.")


# --- promotions ------------------------------------------------------------------------------


class Reward(models.TextChoices):
    PRODUCT_PERCENT = "product_percent", "Product: percentage off per item"
    PRODUCT_FIXED_ALL = "product_fixed_all", "Product: fixed amount off all items"
    PRODUCT_FIXED_EACH = "product_fixed_each", "Product: fixed amount off per item"
    BUY_X_GET_Y = "buy_x_get_y", "Product: buy X get Y at a discount"
    PRODUCT_GIFT = "product_gift", "Product: free gift with purchase"
    ORDER_PERCENT = "order_percent", "Order: percentage off"
    ORDER_FIXED = "order_fixed", "Order: fixed amount off"
    ORDER_GIFT = "order_gift", "Order: free gift"
    SHIPPING_PERCENT = "shipping_percent", "Shipping: percentage off"
    SHIPPING_FIXED = "shipping_fixed", "Shipping: fixed amount off"
    SHIPPING_FREE = "shipping_free", "Shipping: free"


PERCENT_REWARDS = {Reward.PRODUCT_PERCENT, Reward.ORDER_PERCENT, Reward.SHIPPING_PERCENT}
AMOUNT_REWARDS = {
    Reward.PRODUCT_FIXED_ALL,
    Reward.PRODUCT_FIXED_EACH,
    Reward.ORDER_FIXED,
    Reward.SHIPPING_FIXED,
}
GIFT_REWARDS = {Reward.PRODUCT_GIFT, Reward.ORDER_GIFT}

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@functools.cache  # a store has a handful of distinct values; a rules rebuild asks for each row
def days_of(days_of_week: str) -> frozenset[int]:
    """The days a promotion runs, from its comma-separated field (0 = Monday; none: every day)."""
    return frozenset(int(d) for d in days_of_week.split(",") if d.strip())


class Promotion(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    reward = models.CharField(max_length=30, choices=Reward.choices)
    is_active = models.BooleanField(default=True)
    priority = models.PositiveIntegerField(
        default=100,
        help_text="Lower numbers are considered first. If the best promotion that qualifies is "
        "exclusive, it applies alone; otherwise all combinable ones apply and exclusive ones "
        "are skipped. Within the order: product promotions, then order promotions, then "
        "promotions needing a code or coupon, then shipping promotions.",
    )
    exclusive = models.BooleanField(
        default=False, help_text="Exclusive promotions never combine with any other promotion."
    )
    # who and when
    segments = models.ManyToManyField(
        "customers.Segment",
        blank=True,
        related_name="+",
        help_text="Only customers in one of these segments; none selected = everybody.",
    )
    code = models.CharField(
        max_length=40, blank=True, help_text="A promotion code the customer quotes (optional)."
    )
    code_required = models.BooleanField(
        default=True, help_text="With a code: applies only when the code is entered."
    )
    is_coupon = models.BooleanField(
        default=False,
        help_text="Delivered as coupons in customers' wallets; applies when one is selected.",
    )
    coupon_valid_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Coupons expire this many days after they are issued."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    days_of_week = models.CharField(
        max_length=20, blank=True, help_text="Comma separated, 0 = Monday; blank = every day."
    )
    time_from = models.TimeField(null=True, blank=True)
    time_to = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=50, default=settings.TIME_ZONE)
    currency = models.CharField(
        max_length=3, default=settings.STORE_CURRENCY, help_text="Currency of fixed amounts."
    )
    # condition
    skus = models.ManyToManyField("catalog.SKU", blank=True, related_name="+")
    categories = models.ManyToManyField(
        "catalog.Category",
        blank=True,
        related_name="+",
        help_text="Items in these categories or their subcategories qualify. No SKU and no "
        "category = every item qualifies.",
    )
    min_quantity = models.PositiveIntegerField(
        default=0, help_text="Minimum number of qualifying items."
    )
    min_amount = models.DecimalField(
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text="Minimum value of qualifying items (after earlier discounts).",
    )
    shipping_methods = models.ManyToManyField(
        ShippingMethod, blank=True, related_name="+", help_text="Shipping rewards: these only."
    )
    # benefit
    percent = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True, validators=PERCENT
    )
    amount = models.DecimalField(**MONEY, null=True, blank=True, validators=NON_NEGATIVE)
    buy_quantity = models.PositiveIntegerField(null=True, blank=True, help_text="X")
    get_quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Y")
    get_skus = models.ManyToManyField(
        "catalog.SKU",
        blank=True,
        related_name="+",
        help_text="Buy X get Y: the Y items; none = the qualifying items.",
    )
    gift_sku = models.ForeignKey(
        "catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gift_quantity = models.PositiveIntegerField(default=1, validators=AT_LEAST_ONE)
    # limits
    limit_per_order = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=AT_LEAST_ONE,
        help_text="Times it applies within one order (items, bundles or gifts).",
    )
    limit_per_customer = models.PositiveIntegerField(
        null=True, blank=True, validators=AT_LEAST_ONE, help_text="Orders per customer."
    )
    limit_overall = models.PositiveIntegerField(
        null=True, blank=True, validators=AT_LEAST_ONE, help_text="Orders in total."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                condition=~models.Q(code=""),
                name="promotion_code_unique",
                violation_error_message="Another promotion already uses this code.",
            ),
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="promotion_end_after_start",
                violation_error_message="The end must be after the start.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> frozenset[int]:
        return days_of(self.days_of_week)

    def clean(self):
        _check_dates(self)
        errors: dict[str, str] = {}
        self.code = self.code.strip().upper()
        try:
            days = self.days
        except ValueError:
            days = frozenset({-1})
        if any(d < 0 or d > 6 for d in days):
            errors["days_of_week"] = "Days are 0 (Monday) to 6 (Sunday), comma separated."
        errors.update(self._reward_errors())
        if self.is_coupon and not self.coupon_valid_days:
            errors["coupon_valid_days"] = "Coupons need the number of days they stay valid."
        if self.is_coupon and self.code:
            errors["code"] = "A coupon promotion is redeemed from the wallet, not by code."
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = f"Unknown time zone {self.time_zone!r}, e.g. America/Toronto."

        if errors:
            raise ValidationError(errors)

    def _reward_errors(self) -> dict[str, str]:
        """What the reward needs and is missing."""
        errors: dict[str, str] = {}
        if self.reward in PERCENT_REWARDS and not self.percent:
            errors["percent"] = "Give the percentage off (more than 0, at most 100)."
        if self.reward in AMOUNT_REWARDS and not self.amount:
            errors["amount"] = "Give the amount off (more than 0)."
        if self.reward == Reward.BUY_X_GET_Y:
            if not self.buy_quantity:
                errors["buy_quantity"] = "Give X, how many items to buy."
            if not self.get_quantity:
                errors["get_quantity"] = "Give Y, how many items get the discount."
            if self.percent is None:
                errors["percent"] = "Give the discount on the Y items (100 = free)."
        if self.reward in GIFT_REWARDS and not self.gift_sku_id:
            errors["gift_sku"] = "Choose the SKU given as a gift."
        return errors


class PromotionCounter(models.Model):
    """Final uses of a limited promotion: the row that concurrent submits lock."""

    promotion = models.OneToOneField(
        Promotion, on_delete=models.CASCADE, primary_key=True, related_name="counter"
    )
    used = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.promotion_id}: {self.used}"


class UsageStatus(models.TextChoices):
    PENDING = "pending", "Pending (cart)"
    FINAL = "final", "Final (submitted)"
    RELEASED = "released", "Released (canceled)"


class PromotionUsage(models.Model):
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="usages")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="promotion_usages"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=UsageStatus.choices, db_index=True)
    amount = models.DecimalField(**MONEY, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "order"], name="usage_once_per_order")
        ]
        indexes = [models.Index(fields=["promotion", "customer", "status"])]

    def __str__(self) -> str:
        return f"{self.promotion_id} on {self.order_id}: {self.status}"


class Coupon(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", "In the wallet"
        CONSUMED = "consumed", "Consumed"
        REVOKED = "revoked", "Revoked"

    promotion = models.ForeignKey(
        Promotion,
        on_delete=models.PROTECT,
        related_name="coupons",
        limit_choices_to={"is_coupon": True},
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="coupons"
    )
    code = models.CharField(max_length=30, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coupons",
        help_text="The order it is selected on or was consumed by.",
    )
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at", "id"]

    def __str__(self) -> str:
        return f"{self.code} ({self.promotion})"

    def clean(self):
        _check_dates(self, "issued_at", "expires_at")


class OrderPromotionCode(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="promo_codes")
    code = models.CharField(max_length=40)
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="+")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "promotion"], name="order_code_once")
        ]

    def __str__(self) -> str:
        return self.code


# --- CSR adjustments -------------------------------------------------------------------------


class AdjustmentLimit(models.Model):
    """What a role may give away without a supervisor. Blank = no limit."""

    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, related_name="adjustment_limit"
    )
    max_percent = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="Largest percentage off; blank = unlimited.",
    )
    max_amount = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="Largest amount off (also for shipping overrides); blank = unlimited.",
    )

    def __str__(self) -> str:
        return f"{self.group}: {self.max_percent or '∞'}% / {self.max_amount or '∞'}"


class OrderAdjustment(models.Model):
    class Kind(models.TextChoices):
        ORDER_AMOUNT = "order_amount", "Amount off the order"
        ORDER_PERCENT = "order_percent", "Percentage off the order"
        LINE_AMOUNT = "line_amount", "Amount off a line"
        LINE_PERCENT = "line_percent", "Percentage off a line"
        SHIPPING_OVERRIDE = "shipping_override", "Shipping charge becomes"

    class ReasonCode(models.TextChoices):
        APPEASEMENT = "appeasement", "Customer appeasement"
        PRICE_MATCH = "price_match", "Price match"
        DAMAGED = "damaged", "Damaged or defective item"
        LATE = "late", "Late delivery"
        OTHER = "other", "Other (see comment)"

    class Status(models.TextChoices):
        APPROVED = "approved", "Applied"
        PENDING = "pending", "Awaiting supervisor approval"
        REJECTED = "rejected", "Rejected"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="adjustments")
    line = models.ForeignKey(
        "orders.OrderLine",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="adjustments",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices)
    comment = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=0), name="adjustment_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def is_percent(self) -> bool:
        return self.kind in (self.Kind.ORDER_PERCENT, self.Kind.LINE_PERCENT)


# --- shipping and tax ------------------------------------------------------------------------


class ShippingRate(models.Model):
    class Basis(models.TextChoices):
        FLAT = "flat", "Flat charge"
        WEIGHT = "weight", "By weight bands (kg)"
        VALUE = "value", "By order-value bands"

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="rates")
    currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    country = CountryField(blank=True, help_text="Blank: every destination.")
    basis = models.CharField(max_length=10, choices=Basis.choices, default=Basis.FLAT)
    amount = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=NON_NEGATIVE, help_text="Flat charge."
    )

    class Meta:
        ordering = ["method_id", "currency", "country"]

    def __str__(self) -> str:
        return f"{self.method} {self.currency} {self.get_basis_display()}"


class ShippingRateBand(models.Model):
    rate = models.ForeignKey(ShippingRate, on_delete=models.CASCADE, related_name="bands")
    from_value = models.DecimalField(
        max_digits=14,
        decimal_places=3,
        validators=NON_NEGATIVE,
        help_text="From this weight (kg) or order value on.",
    )
    charge = models.DecimalField(**MONEY, validators=NON_NEGATIVE)

    class Meta:
        ordering = ["rate_id", "from_value"]
        constraints = [
            models.UniqueConstraint(fields=["rate", "from_value"], name="band_unique_start")
        ]

    def __str__(self) -> str:
        return f"from {self.from_value}: {self.charge}"


class TaxCategory(models.Model):
    """Products name their category by code (catalog Product.tax_code); "shipping" taxes
    shipping charges."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "tax categories"

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    category = models.ForeignKey(TaxCategory, on_delete=models.CASCADE, related_name="rates")
    country = CountryField()
    region = models.CharField(max_length=10, blank=True, help_text="Province/state; blank = all.")
    postal_prefix = models.CharField(
        max_length=10, blank=True, help_text="Postal-code prefix; blank = all."
    )
    name = models.CharField(max_length=40, help_text="Shown on the order, e.g. HST, GST, QST.")
    rate = models.DecimalField(max_digits=7, decimal_places=4, validators=PERCENT)

    class Meta:
        ordering = ["category_id", "country", "region", "postal_prefix", "name"]

    def __str__(self) -> str:
        where = "/".join(x for x in [str(self.country), self.region, self.postal_prefix] if x)
        return f"{self.name} {self.rate}% {where}"

    def save(self, *args, **kwargs):
        self.region = self.region.strip().upper()
        self.postal_prefix = self.postal_prefix.replace(" ", "").upper()
        super().save(*args, **kwargs)


class PricingSettings(models.Model):
    """The store's pricing settings: one row (pk=1), edited in the admin."""

    class TaxRounding(models.TextChoices):
        LINE = "line", "Per line and per shipping charge"
        INVOICE = "invoice", "Per invoice, shared out to the lines"

    tax_rounding = models.CharField(
        max_length=10,
        choices=TaxRounding.choices,
        default=TaxRounding.LINE,
        help_text="Per line: each line's and each shipping charge's tax is rounded to the cent, "
        "and the order's tax is their sum (3 lines of 0.35 at 13 % are 3 × 0.05 = 0.15). Per "
        "invoice: each tax is computed on the order's exact amounts and rounded once (0.14), "
        "then shared out to the lines by largest remainder, so the lines still add up to it. "
        "Discounts round the same way in both: a percentage off an item rounds once per line "
        "(10 % off 3 × 0.35 is 0.11, not 3 × 0.04).",
    )

    class Meta:
        verbose_name = "pricing settings"
        verbose_name_plural = "pricing settings"

    def __str__(self) -> str:
        return f"Tax rounded {self.get_tax_rounding_display().lower()}"

    @classmethod
    def current(cls) -> "PricingSettings":
        return cls.objects.filter(pk=1).first() or cls(pk=1)


# --- audit -----------------------------------------------------------------------------------


class PricingEvent(AuditEvent):
    """Pricing's audit trail: codes, coupons, adjustments, usage, rule changes."""

    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=200, blank=True)

    class Meta(AuditEvent.Meta):
        indexes = [models.Index(fields=["order", "-occurred_at"])]

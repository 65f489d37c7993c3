"""CSV import/export (django-import-export) of the pricing rules: price lists with their
category adjustments, price list entries (one row per quantity tier), promotions with their
targets, coupons, shipping methods, shipping rates with their bands, tax categories and rates.

All or nothing like every store-admin import (core.resources); each row is validated by the
model's full_clean, which holds the rules the admin form applies (dates in order, percentages
at most 100, a segment list names its segment, ...). A confirmed import bumps the rules' cache
version and writes one audit row (services.rules_changed), as an admin save does.

Formats (columns as exported; related rows by code, never by id):
- price lists: name, currency, kind, segment, organization (account number), priority,
  base_list (name, same currency), starts_at, ends_at, is_active,
  category_adjustments ("binders:off:10.000;office:over:5.000")
- price list entries: price_list (name), currency, sku, min_quantity (the tier), price
- promotions: name, ..., segments / skus / categories / shipping_methods / get_skus as codes
  "a;b", gift_sku as a code
- coupons: code, promotion (name), customer (logon id), status, issued_at, expires_at,
  consumed_at
- shipping methods: code, name, carrier, is_active
- shipping rates: method, currency, country, basis, amount, bands ("0.000=5.00;2.000=9.00":
  from weight or value = charge)
- tax categories: code, name; tax rates: category, country, region, postal_prefix, name, rate
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q
from import_export import fields

from catalog.models import SKU, Category
from core.resources import (
    AllOrNothingResource,
    StrictForeignKey,
    code_field,
    codes_field,
    date_field,
)
from customers.models import Customer, Organization, Segment
from pricing import models as m
from pricing import services


class _PriceListByName(StrictForeignKey):
    """A price list named in the row's currency (names are unique per currency in practice)."""

    def __init__(self, currency_column: str = "currency"):
        super().__init__(m.PriceList, "name")
        self.currency_column = currency_column

    def get_lookup_kwargs(self, value, row=None, **kwargs):
        return {"name": value, "currency": (row or {}).get(self.currency_column)}


class RuleResource(AllOrNothingResource):
    """A confirmed import is a rule change: new cache version and an audit row."""

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run"):
            services.rules_changed(
                actor=kwargs.get("user"),
                subject=f"{self._meta.model._meta.verbose_name_plural} imported",
                action="imported",
                rows=len(dataset),
            )


def _decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not a number ({what}).") from None


class PriceListResource(RuleResource):
    segment = code_field("segment", Segment)
    organization = code_field("organization", Organization, "account_number")
    base_list = fields.Field(
        attribute="base_list", column_name="base_list", widget=_PriceListByName()
    )
    starts_at = date_field("starts_at")
    ends_at = date_field("ends_at")
    category_adjustments = fields.Field(column_name="category_adjustments")
    text_columns = ("category_adjustments",)

    class Meta:
        model = m.PriceList
        import_id_fields = ["name", "currency"]
        fields = [
            "name",
            "currency",
            "kind",
            "segment",
            "organization",
            "priority",
            "base_list",
            "starts_at",
            "ends_at",
            "is_active",
            "category_adjustments",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def filter_export(self, queryset, **kwargs):
        # Lists without a base list first: a derived list's row needs its base list's.
        derived = ExpressionWrapper(Q(base_list__isnull=False), output_field=BooleanField())
        return queryset.order_by("currency", derived, "name")

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("segment", "organization", "base_list")
            .prefetch_related("category_adjustments__category")
        )

    def dehydrate_category_adjustments(self, price_list: m.PriceList) -> str:
        return ";".join(
            sorted(
                f"{a.category.code}:{a.direction}:{a.percent}"
                for a in price_list.category_adjustments.all()
            )
        )

    @staticmethod
    def _adjustments(text) -> list[tuple[Category, str, Decimal]]:
        parsed = []
        for part in str(text or "").split(";"):
            if not part.strip():
                continue
            pieces = [p.strip() for p in part.split(":")]
            if len(pieces) != 3:
                raise ValueError(f"{part.strip()!r} is not category:off|over:percent.")
            code, direction, percent = pieces
            category = Category.objects.filter(code=code).first()
            if category is None:
                raise ValueError(f"There is no category with code {code!r}.")
            if direction not in m.CategoryPriceAdjustment.Direction.values:
                raise ValueError(f"{direction!r} is neither off nor over.")
            parsed.append((category, direction, _decimal(percent, "percent")))
        return parsed

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        try:
            self._adjustments(row.get("category_adjustments"))
        except ValueError as exc:
            raise ValidationError({"category_adjustments": str(exc)}) from None

    def after_save_instance(self, instance, row, **kwargs):
        if "category_adjustments" not in row:
            return
        wanted = self._adjustments(row["category_adjustments"])
        instance.category_adjustments.exclude(category__in=[c for c, _, _ in wanted]).delete()
        for category, direction, percent in wanted:
            adjustment = m.CategoryPriceAdjustment(
                price_list=instance, category=category, direction=direction, percent=percent
            )
            adjustment.full_clean(exclude=["price_list", "category"], validate_unique=False)
            m.CategoryPriceAdjustment.objects.update_or_create(
                price_list=instance,
                category=category,
                defaults={"direction": direction, "percent": percent},
            )


class PriceListEntryResource(RuleResource):
    price_list = fields.Field(
        attribute="price_list", column_name="price_list", widget=_PriceListByName()
    )
    currency = fields.Field(attribute="price_list__currency", column_name="currency", readonly=True)
    sku = code_field("sku", SKU)
    export_ordering = ("price_list__currency", "price_list__name", "sku__code", "min_quantity")

    class Meta:
        model = m.PriceListEntry
        import_id_fields = ["price_list", "sku", "min_quantity"]
        fields = ["price_list", "currency", "sku", "min_quantity", "price"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("price_list", "sku")


class PromotionResource(RuleResource):
    segments = codes_field("segments", Segment)
    skus = codes_field("skus", SKU)
    categories = codes_field("categories", Category)
    shipping_methods = codes_field("shipping_methods", m.ShippingMethod)
    get_skus = codes_field("get_skus", SKU)
    gift_sku = code_field("gift_sku", SKU)
    starts_at = date_field("starts_at")
    ends_at = date_field("ends_at")
    export_ordering = ("priority", "name")

    class Meta:
        model = m.Promotion
        import_id_fields = ["name"]
        fields = [
            "name",
            "description",
            "reward",
            "is_active",
            "priority",
            "exclusive",
            "segments",
            "code",
            "code_required",
            "is_coupon",
            "coupon_valid_days",
            "starts_at",
            "ends_at",
            "days_of_week",
            "time_from",
            "time_to",
            "time_zone",
            "currency",
            "skus",
            "categories",
            "min_quantity",
            "min_amount",
            "shipping_methods",
            "percent",
            "amount",
            "buy_quantity",
            "get_quantity",
            "get_skus",
            "gift_sku",
            "gift_quantity",
            "limit_per_order",
            "limit_per_customer",
            "limit_overall",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("gift_sku")
            .prefetch_related("segments", "skus", "categories", "shipping_methods", "get_skus")
        )


class CouponResource(RuleResource):
    promotion = fields.Field(
        attribute="promotion", column_name="promotion", widget=StrictForeignKey(m.Promotion, "name")
    )
    customer = code_field("customer", Customer, "logon_id")
    issued_at = date_field("issued_at")
    expires_at = date_field("expires_at")
    consumed_at = date_field("consumed_at")
    export_ordering = ("code",)

    class Meta:
        model = m.Coupon
        import_id_fields = ["code"]
        fields = [
            "code",
            "promotion",
            "customer",
            "status",
            "issued_at",
            "expires_at",
            "consumed_at",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("promotion", "customer")


class ShippingMethodResource(RuleResource):
    export_ordering = ("code",)

    class Meta:
        model = m.ShippingMethod
        import_id_fields = ["code"]
        fields = ["code", "name", "carrier", "is_active"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False


class ShippingRateResource(RuleResource):
    method = code_field("method", m.ShippingMethod)
    bands = fields.Field(column_name="bands")
    export_ordering = ("method__code", "currency", "country")
    text_columns = ("bands",)

    class Meta:
        model = m.ShippingRate
        import_id_fields = ["method", "currency", "country"]
        fields = ["method", "currency", "country", "basis", "amount", "bands"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("method").prefetch_related("bands")

    def dehydrate_bands(self, rate: m.ShippingRate) -> str:
        return ";".join(f"{band.from_value}={band.charge}" for band in rate.bands.all())

    @staticmethod
    def _bands(text) -> list[tuple[Decimal, Decimal]]:
        bands = []
        for part in str(text or "").split(";"):
            if not part.strip():
                continue
            start, sep, charge = part.partition("=")
            if not sep:
                raise ValueError(f"{part.strip()!r} is not from=charge.")
            bands.append((_decimal(start, "band start"), _decimal(charge, "band charge")))
        return bands

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        try:
            bands = self._bands(row.get("bands"))
        except ValueError as exc:
            raise ValidationError({"bands": str(exc)}) from None
        if any(start < 0 or charge < 0 for start, charge in bands):
            raise ValidationError({"bands": "Band starts and charges must not be negative."})

    def after_save_instance(self, instance, row, **kwargs):
        if "bands" not in row:
            return
        instance.bands.all().delete()
        m.ShippingRateBand.objects.bulk_create(
            m.ShippingRateBand(rate=instance, from_value=start, charge=charge)
            for start, charge in self._bands(row["bands"])
        )


class TaxCategoryResource(RuleResource):
    export_ordering = ("code",)

    class Meta:
        model = m.TaxCategory
        import_id_fields = ["code"]
        fields = ["code", "name"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False


class TaxRateResource(RuleResource):
    category = code_field("category", m.TaxCategory)
    export_ordering = ("category__code", "country", "region", "postal_prefix", "name")

    class Meta:
        model = m.TaxRate
        import_id_fields = ["category", "country", "region", "postal_prefix", "name"]
        fields = ["category", "country", "region", "postal_prefix", "name", "rate"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("category")

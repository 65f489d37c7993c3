"""Store admins build prices, promotions, coupons, shipping and tax here, without code.

Every save goes through the model's validation (`clean` and field validators refuse an end
before the start, a percentage over 100, negative amounts, a limit of 0) and then
`services.rules_changed`, which bumps the rules' cache version and writes an audit row.
The promotion list has a "Preview pricing" page: price a cart for a customer at a time.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from import_export.admin import ImportExportMixin

from core.errors import DomainError
from core.roles import Role
from customers.models import Customer, Segment
from pricing import models as m
from pricing import resources, selectors, services


class RuleAdmin(admin.ModelAdmin):
    """Audits every change and bumps the rules' cache version."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.rules_changed(
            actor=request.user,
            subject=f"{obj._meta.verbose_name} {obj}",
            action="changed" if change else "added",
            fields=list(form.changed_data),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.rules_changed(actor=request.user, subject=f"{form.instance} (related)")

    def delete_model(self, request, obj):
        subject = f"{obj._meta.verbose_name} {obj}"
        super().delete_model(request, obj)
        services.rules_changed(actor=request.user, subject=subject, action="deleted")


# --- price lists -----------------------------------------------------------------------------


class PriceListEntryInline(admin.TabularInline):
    model = m.PriceListEntry
    extra = 1
    raw_id_fields = ["sku"]
    fields = ["sku", "min_quantity", "price"]


class CategoryPriceAdjustmentInline(admin.TabularInline):
    model = m.CategoryPriceAdjustment
    extra = 0
    fields = ["category", "direction", "percent"]


@admin.register(m.PriceList)
class PriceListAdmin(ImportExportMixin, RuleAdmin):
    resource_classes = [resources.PriceListResource]
    list_display = ["name", "currency", "kind", "segment", "organization", "priority", "is_active"]
    list_filter = ["currency", "kind", "is_active", "segment", "starts_at", "ends_at"]
    search_fields = ["name"]
    raw_id_fields = ["organization"]
    inlines = [CategoryPriceAdjustmentInline, PriceListEntryInline]
    fieldsets = [
        (None, {"fields": ["name", "currency", "kind", "segment", "organization", "is_active"]}),
        ("Which list wins", {"fields": ["priority"], "description": m.WHICH_LIST_WINS}),
        ("Derived prices", {"fields": ["base_list"]}),
        ("Dates", {"fields": ["starts_at", "ends_at"]}),
    ]


# --- promotions ------------------------------------------------------------------------------


class PromotionForm(forms.ModelForm):
    days = forms.MultipleChoiceField(
        choices=[(str(i), d) for i, d in enumerate(m.DAYS)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Days of week",
        help_text="None ticked = every day.",
    )

    class Meta:
        model = m.Promotion
        fields = [
            f.name
            for f in m.Promotion._meta.get_fields()
            if f.concrete
            and f.editable
            and not f.auto_created
            and f.name not in ("days_of_week", "created_at", "modified_at")
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["days"] = [str(d) for d in sorted(self.instance.days)]

    def clean(self):
        data = super().clean()
        self.instance.days_of_week = ",".join(sorted(data.get("days") or []))
        return data


@admin.register(m.PriceListEntry)
class PriceListEntryAdmin(ImportExportMixin, RuleAdmin):
    """Every price of every list, one row per quantity tier (also edited inline on the list)."""

    resource_classes = [resources.PriceListEntryResource]
    list_display = ["price_list", "sku", "min_quantity", "price"]
    list_select_related = ["price_list", "sku"]
    list_filter = ["price_list__currency", "price_list__kind", "price_list"]
    search_fields = ["^sku__code", "sku__name", "price_list__name"]
    raw_id_fields = ["sku"]


@admin.register(m.Promotion)
class PromotionAdmin(ImportExportMixin, RuleAdmin):
    resource_classes = [resources.PromotionResource]
    form = PromotionForm
    change_form_template = "admin/pricing/promotion/change_form.html"
    change_list_template = "admin/pricing/promotion/change_list.html"
    list_display = [
        "name",
        "reward",
        "priority",
        "exclusive",
        "code",
        "is_coupon",
        "starts_at",
        "ends_at",
        "is_active",
        "uses",
    ]
    list_filter = [
        "reward",
        "is_active",
        "exclusive",
        "is_coupon",
        "segments",
        "categories",
        "starts_at",
        "ends_at",
    ]
    search_fields = ["name", "code"]
    raw_id_fields = ["skus", "get_skus", "gift_sku"]
    filter_horizontal = ["segments", "categories", "shipping_methods"]
    readonly_fields = ["uses"]
    fieldsets = [
        (
            "Properties",
            {"fields": ["name", "description", "reward", "priority", "exclusive", "is_active"]},
        ),
        (
            "Who",
            {"fields": ["segments", "code", "code_required", "is_coupon", "coupon_valid_days"]},
        ),
        (
            "Schedule",
            {"fields": ["starts_at", "ends_at", "days", "time_from", "time_to", "time_zone"]},
        ),
        (
            "Condition",
            {"fields": ["skus", "categories", "min_quantity", "min_amount", "shipping_methods"]},
        ),
        (
            "Reward",
            {
                "fields": [
                    "currency",
                    "percent",
                    "amount",
                    "buy_quantity",
                    "get_quantity",
                    "get_skus",
                    "gift_sku",
                    "gift_quantity",
                ]
            },
        ),
        ("Limits", {"fields": ["limit_per_order", "limit_per_customer", "limit_overall", "uses"]}),
    ]

    actions = ["issue_to_member_group"]

    @admin.action(description="Issue coupons to a member group")
    def issue_to_member_group(self, request, queryset):
        """Each selected coupon promotion to every member of the chosen segment who has no
        usable coupon of it yet (services.issue_coupons_to_segment); asks for the segment
        first."""
        form = SegmentChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            segment = form.cleaned_data["segment"]
            for promotion in queryset:
                try:
                    issued = services.issue_coupons_to_segment(
                        promotion=promotion, segment=segment, actor=request.user
                    )
                except DomainError as exc:
                    self.message_user(request, exc.message, level=messages.ERROR)
                else:
                    self.message_user(
                        request, f"{len(issued)} coupon(s) of “{promotion}” issued to {segment}."
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Issue coupons to a member group",
            "form": form,
            "promotions": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/pricing/promotion/issue_to_segment.html", context)

    @admin.display(description="Final uses")
    def uses(self, obj):
        counter = m.PromotionCounter.objects.filter(promotion=obj).first()
        return counter.used if counter else 0

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="pricing_promotion_preview",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        promotion = self.get_object(request, object_id)
        if promotion is not None:
            extra_context = {**(extra_context or {}), "preview_url": self._preview_url(promotion)}
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _preview_url(promotion: m.Promotion) -> str:
        """The preview, filled in with a cart this promotion is about (its SKUs at its minimum
        quantity, its code)."""
        quantity = max(1, promotion.min_quantity)
        items = "\n".join(f"{sku.code} {quantity}" for sku in promotion.skus.all()[:5])
        query = urlencode({"items": items, "codes": promotion.code})
        return f"{reverse('admin:pricing_promotion_preview')}?{query}"

    def preview_view(self, request):
        # A GET from a promotion's page arrives filled in (_preview_url).
        form = PreviewForm(request.POST or None, initial=request.GET.dict())
        priced = None
        if request.method == "POST" and form.is_valid():
            try:
                priced = form.quote()
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": "Preview pricing",
            "form": form,
            "priced": priced,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/pricing/preview.html", context)


class SegmentChoiceForm(forms.Form):
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"), label="Member group"
    )


class PreviewForm(forms.Form):
    items = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 40}),
        help_text="One SKU per line: code and quantity, e.g. “NB-A5 2”.",
    )
    customer = forms.CharField(
        required=False, help_text="Logon ID of a registered customer; blank = a guest."
    )
    codes = forms.CharField(required=False, help_text="Promotion codes, comma separated.")
    at = forms.DateTimeField(
        required=False,
        label="Priced at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Blank = now.",
    )
    shipping_method = forms.ModelChoiceField(
        queryset=m.ShippingMethod.objects.filter(is_active=True), required=False
    )
    country = forms.CharField(initial="CA", max_length=2)
    region = forms.CharField(initial="ON", required=False, max_length=10)
    postal_code = forms.CharField(required=False, max_length=12)

    def clean_items(self):
        items = []
        for raw in self.cleaned_data["items"].splitlines():
            parts = raw.replace(",", " ").split()
            if not parts:
                continue
            try:
                qty = int(parts[1]) if len(parts) > 1 else 1
            except ValueError:
                raise forms.ValidationError(
                    f"“{raw.strip()}”: the quantity is not a number."
                ) from None
            if qty < 1:
                raise forms.ValidationError(f"“{raw.strip()}”: the quantity must be at least 1.")
            items.append((parts[0], qty))
        if not items:
            raise forms.ValidationError("Enter at least one SKU.")
        return items

    def clean_customer(self):
        logon = self.cleaned_data["customer"].strip()
        if not logon:
            return None
        customer = Customer.objects.filter(logon_id__iexact=logon).first()
        if customer is None:
            raise forms.ValidationError(f"No customer with logon ID {logon}.")
        return customer

    def quote(self):
        data = self.cleaned_data
        at: datetime | None = data.get("at")
        return selectors.quote_cart(
            items=data["items"],
            customer=data["customer"],
            codes=[c for c in (data.get("codes") or "").split(",") if c.strip()],
            country=data["country"],
            region=data.get("region") or "",
            postal_code=data.get("postal_code") or "",
            shipping_method=data.get("shipping_method"),
            now=at or timezone.now(),
        )


# --- coupons, usage, adjustments -------------------------------------------------------------


@admin.register(m.Coupon)
class CouponAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [resources.CouponResource]
    list_display = ["code", "promotion", "customer", "status", "issued_at", "expires_at", "order"]
    list_filter = ["status", "promotion", "issued_at", "expires_at", "customer__segments"]
    search_fields = ["code", "customer__logon_id"]
    raw_id_fields = ["customer", "order"]
    readonly_fields = ["consumed_at"]
    actions = None

    def get_changeform_initial_data(self, request):
        now = timezone.now()
        return {"issued_at": now, "expires_at": now + timezone.timedelta(days=30)}

    def save_model(self, request, obj, form, change):
        if not change and obj.promotion.coupon_valid_days and "expires_at" not in form.changed_data:
            obj.expires_at = obj.issued_at + timezone.timedelta(
                days=obj.promotion.coupon_valid_days
            )
        super().save_model(request, obj, form, change)
        services.rules_changed(
            actor=request.user,
            subject=f"coupon {obj.code}",
            action="changed" if change else "issued",
        )


@admin.register(m.PromotionUsage)
class PromotionUsageAdmin(admin.ModelAdmin):
    list_display = ["promotion", "order", "customer", "status", "amount", "modified_at"]
    search_fields = ["promotion__name", "=order__number", "^customer__logon_id"]
    list_filter = ["status", "promotion", "created_at"]
    raw_id_fields = ["order", "customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(m.OrderAdjustment)
class OrderAdjustmentAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "kind",
        "value",
        "reason_code",
        "status",
        "requested_by",
        "approved_by",
    ]
    search_fields = ["=order__number", "comment", "requested_by__username"]
    list_filter = ["status", "kind", "reason_code", "created_at", "decided_at"]
    raw_id_fields = ["order", "line"]

    def has_add_permission(self, request):
        return False  # adjustments are made on the order screen, within role limits

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(m.AdjustmentLimit)
class AdjustmentLimitAdmin(RuleAdmin):
    """What each role may give away without a supervisor: CSR adjustments, and appeasement
    coupons (a coupon's percentage or amount off counts against the same limits)."""

    list_display = ["group", "max_percent", "max_amount"]
    search_fields = ["group__name"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group":
            kwargs["queryset"] = Group.objects.filter(name__in=[role.value for role in Role])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(m.PricingEvent)
class PricingEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "event_label", "subject", "order", "actor"]
    search_fields = ["subject", "=order__number", "actor__username"]
    list_filter = ["event_type", "occurred_at"]
    raw_id_fields = ["order"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- shipping and tax ------------------------------------------------------------------------


class ShippingRateBandInline(admin.TabularInline):
    model = m.ShippingRateBand
    extra = 1


@admin.register(m.ShippingRate)
class ShippingRateAdmin(ImportExportMixin, RuleAdmin):
    resource_classes = [resources.ShippingRateResource]
    list_display = ["method", "currency", "country", "basis", "amount"]
    search_fields = ["method__code", "method__name"]
    list_filter = ["method", "currency", "basis", "country"]
    inlines = [ShippingRateBandInline]


class ShippingRateInline(admin.TabularInline):
    model = m.ShippingRate
    extra = 0
    show_change_link = True
    fields = ["currency", "country", "basis", "amount"]


@admin.register(m.ShippingMethod)
class ShippingMethodAdmin(ImportExportMixin, RuleAdmin):
    resource_classes = [resources.ShippingMethodResource]
    list_display = ["name", "code", "carrier", "is_active"]
    search_fields = ["code", "name", "carrier"]
    list_filter = ["is_active", "carrier"]
    inlines = [ShippingRateInline]


class TaxRateInline(admin.TabularInline):
    model = m.TaxRate
    extra = 1


@admin.register(m.TaxCategory)
class TaxCategoryAdmin(ImportExportMixin, RuleAdmin):
    resource_classes = [resources.TaxCategoryResource]
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [TaxRateInline]


@admin.register(m.PricingSettings)
class PricingSettingsAdmin(RuleAdmin):
    list_display = ["__str__"]

    def has_add_permission(self, request):
        return not m.PricingSettings.objects.exists()


@admin.register(m.TaxRate)
class TaxRateAdmin(ImportExportMixin, RuleAdmin):
    resource_classes = [resources.TaxRateResource]
    list_display = ["name", "category", "country", "region", "postal_prefix", "rate"]
    search_fields = ["name", "^postal_prefix", "category__code"]
    list_filter = ["category", "country", "region"]

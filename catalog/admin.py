"""Django admin for store admins: the category tree, products with their defining attributes and
SKUs, attributes, associations and kits; CSV import/export of products and SKUs.

List pages select their related rows up front (list_select_related / annotations), so a page
costs the same number of queries whatever its length.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from import_export.admin import ImportExportModelAdmin

from catalog import services
from catalog.models import (
    SKU,
    Association,
    Attribute,
    AttributeValue,
    CatalogEvent,
    Category,
    DescriptiveValue,
    KitComponent,
    Product,
    ProductAxis,
    ProductState,
    buyable_q,
)
from catalog.resources import (
    AssociationResource,
    AttributeResource,
    CategoryResource,
    KitComponentResource,
    ProductResource,
    SKUResource,
)
from core.errors import DomainError


def _report(request, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- categories ------------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(ImportExportModelAdmin):
    resource_classes = [CategoryResource]
    list_display = ["indented_name", "code", "parent", "depth", "product_count"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    list_filter = ["depth"]
    ordering = ["path"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @admin.display(description="name", ordering="path")
    def indented_name(self, obj):
        return ("— " * obj.depth) + obj.name

    @admin.display(description="products", ordering="product_total")
    def product_count(self, obj):
        return obj.product_total


# --- attributes ------------------------------------------------------------------------------


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 1
    fields = ["value", "code", "position"]


@admin.register(Attribute)
class AttributeAdmin(ImportExportModelAdmin):
    resource_classes = [AttributeResource]
    list_display = ["name", "code", "value_count"]
    search_fields = ["name", "code"]
    inlines = [AttributeValueInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(value_total=Count("values"))

    @admin.display(description="values", ordering="value_total")
    def value_count(self, obj):
        return obj.value_total


@admin.register(AttributeValue)
class AttributeValueAdmin(admin.ModelAdmin):
    """Needed for autocomplete in the defining-attribute inline."""

    list_display = ["value", "attribute", "code", "position"]
    list_select_related = ["attribute"]
    list_filter = ["attribute"]
    search_fields = ["value", "code", "attribute__name"]

    def has_module_permission(self, request):
        return False  # reached through attributes and products


# --- products ----------------------------------------------------------------------------------


class ProductAxisInline(admin.TabularInline):
    model = ProductAxis
    extra = 0
    fields = ["attribute", "position", "values"]
    autocomplete_fields = ["attribute", "values"]
    verbose_name_plural = "defining attributes (one SKU per combination of values)"


class DescriptiveValueInline(admin.TabularInline):
    model = DescriptiveValue
    extra = 0
    autocomplete_fields = ["attribute"]


class SKUInlineFormSet(forms.BaseInlineFormSet):
    """A SKU added here has no attribute values: the combination rule refuses it for a product
    with defining attributes (add those on the SKU page, or generate them)."""

    def clean(self):
        super().clean()
        adding = [
            form
            for form in self.extra_forms
            if form.has_changed() and not self._should_delete_form(form)
        ]
        if adding:
            try:
                services.sku_combination_key(product=self.instance, values=[])
            except DomainError as exc:
                raise forms.ValidationError(
                    f"{exc.message} Add such a SKU on the SKU page or generate the missing SKUs."
                ) from None


class SKUInline(admin.TabularInline):
    model = SKU
    formset = SKUInlineFormSet
    extra = 0
    fields = ["code", "name", "kind", "weight_kg", "is_active", "variant_key"]
    readonly_fields = ["variant_key"]
    show_change_link = True
    ordering = ["code"]


class StateFilter(admin.SimpleListFilter):
    """By the state the dates give now (not the stored column, which follows at each save)."""

    title = "state now"
    parameter_name = "state_now"

    def lookups(self, request, model_admin):
        return ProductState.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value()
        if value == ProductState.WITHDRAWN:
            return queryset.filter(withdrawn_at__lte=now)
        if value == ProductState.DISCONTINUED:
            return queryset.filter(discontinued_at__lte=now).exclude(withdrawn_at__lte=now)
        if value == ProductState.AVAILABLE:
            return (
                queryset.filter(available_from__lte=now)
                .exclude(discontinued_at__lte=now)
                .exclude(withdrawn_at__lte=now)
            )
        if value == ProductState.ANNOUNCED:
            return (
                queryset.exclude(available_from__lte=now)
                .exclude(discontinued_at__lte=now)
                .exclude(withdrawn_at__lte=now)
            )
        return queryset


@admin.register(Product)
class ProductAdmin(ImportExportModelAdmin):
    resource_classes = [ProductResource]
    list_display = [
        "code",
        "name",
        "category",
        "state_now",
        "available_from",
        "discontinued_at",
        "tax_code",
        "sku_count",
    ]
    list_select_related = ["category"]
    list_filter = [StateFilter, "category", "tax_code", "available_from", "discontinued_at"]
    search_fields = ["code", "name", "=skus__code"]
    autocomplete_fields = ["category"]
    readonly_fields = ["state"]
    fieldsets = [
        (None, {"fields": ["code", "name", "category", "description", "tax_code"]}),
        (
            "Lifecycle (the state follows these dates)",
            {
                "fields": [
                    "state",
                    "announced_at",
                    "available_from",
                    "discontinued_at",
                    "withdrawn_at",
                ]
            },
        ),
    ]
    inlines = [ProductAxisInline, DescriptiveValueInline, SKUInline]

    def get_inlines(self, request, obj):
        # SKUs follow the defining attributes, which a new product gets in the same save.
        return self.inlines if obj else [ProductAxisInline, DescriptiveValueInline]

    actions = ["generate_missing_skus", "discontinue_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sku_total=Count("skus"))

    @admin.display(description="SKUs", ordering="sku_total")
    def sku_count(self, obj):
        return obj.sku_total

    @admin.display(description="state")
    def state_now(self, obj):
        return ProductState(obj.effective_state).label

    @admin.action(description="Generate missing SKUs from the defining attributes")
    def generate_missing_skus(self, request, queryset):
        total = 0
        for product in queryset:
            try:
                total += len(services.generate_skus(product=product, actor=request.user))
            except DomainError as exc:
                _report(request, exc)
        messages.success(request, f"{total} SKU(s) created.")

    @admin.action(description="Discontinue now")
    def discontinue_now(self, request, queryset):
        for product in queryset:
            try:
                services.product_discontinue(product=product, actor=request.user)
            except DomainError as exc:
                _report(request, exc)
        messages.success(request, f"{queryset.count()} product(s) discontinued.")


# --- SKUs ----------------------------------------------------------------------------------------


class KitComponentInline(admin.TabularInline):
    model = KitComponent
    fk_name = "kit"
    extra = 0
    autocomplete_fields = ["component"]
    verbose_name_plural = "kit components (for kits)"


class AssociationInline(admin.TabularInline):
    model = Association
    fk_name = "source"
    extra = 0
    autocomplete_fields = ["target"]
    fields = ["kind", "target", "rank", "note"]


class BuyableFilter(admin.SimpleListFilter):
    title = "buyable now"
    parameter_name = "buyable"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(buyable_q())
        if self.value() == "no":
            return queryset.exclude(buyable_q())
        return queryset


class SKUForm(forms.ModelForm):
    """The SKU with its combination of defining attribute values, checked by the same rule as
    the import (catalog.services.sku_combination_key)."""

    combination = forms.ModelMultipleChoiceField(
        AttributeValue.objects.select_related("attribute"),
        required=False,
        help_text="One value of each of the product's defining attributes (none if it has none).",
    )

    class Meta:
        model = SKU
        fields = ["code", "product", "name", "kind", "service_type", "weight_kg", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["combination"].initial = list(
                self.instance.values.values_list("value_id", flat=True)
            )

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is not None:
            try:
                services.sku_combination_key(
                    product=product,
                    values=cleaned.get("combination") or [],
                    sku=self.instance if self.instance.pk else None,
                )
            except DomainError as exc:
                self.add_error("combination", exc.message)
        return cleaned


@admin.register(SKU)
class SKUAdmin(ImportExportModelAdmin):
    form = SKUForm
    resource_classes = [SKUResource]
    list_display = ["code", "name", "product", "category", "kind", "is_active", "buyable_now"]
    list_select_related = ["product", "product__category"]
    list_filter = [BuyableFilter, "kind", "service_type", "is_active", "product__category"]
    search_fields = ["^code", "name", "product__code"]
    autocomplete_fields = ["product"]
    readonly_fields = ["variant_key"]
    fields = [
        "code",
        "product",
        "name",
        "kind",
        "service_type",
        "weight_kg",
        "is_active",
        "combination",
        "variant_key",
    ]
    inlines = [KitComponentInline, AssociationInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.sku_set_combination(
            sku=obj, values=form.cleaned_data["combination"], actor=request.user
        )

    def get_queryset(self, request):
        return super().get_queryset(request).with_buyable()

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        services.record_admin_inline_changes(sku=form.instance, formset=formset, actor=request.user)

    @admin.display(description="category", ordering="product__category__name")
    def category(self, obj):
        return obj.product.category

    @admin.display(description="buyable", boolean=True)
    def buyable_now(self, obj):
        return obj.is_buyable


@admin.register(Association)
class AssociationAdmin(ImportExportModelAdmin):
    resource_classes = [AssociationResource]
    list_display = ["source", "kind", "target", "rank", "note"]
    list_select_related = ["source", "target"]
    list_filter = ["kind", "source__product__category"]
    search_fields = ["^source__code", "^target__code", "source__name", "target__name"]
    autocomplete_fields = ["source", "target"]


@admin.register(KitComponent)
class KitComponentAdmin(ImportExportModelAdmin):
    resource_classes = [KitComponentResource]
    list_display = ["kit", "component", "quantity"]
    list_filter = ["kit__is_active", "kit__product__category"]
    list_select_related = ["kit", "component"]
    search_fields = ["^kit__code", "^component__code", "kit__name"]
    autocomplete_fields = ["kit", "component"]


@admin.register(CatalogEvent)
class CatalogEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "event_label", "actor", "product", "sku"]
    list_select_related = ["actor", "product", "sku"]
    list_filter = ["event_type", "occurred_at"]
    search_fields = ["product__code", "sku__code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

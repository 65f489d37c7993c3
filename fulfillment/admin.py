"""Django admin for store admins and operations.

Stock numbers (on hand, allocated, promised, received) are read-only here: they change only
through the services (adjust, receive, allocate), which lock, check and audit.
"""

from django.contrib import admin, messages
from import_export.admin import ImportExportMixin

from core.errors import DomainError
from fulfillment import models as _models
from fulfillment import resources
from fulfillment.inventory import stock
from fulfillment.models import (
    ExpectedInventory,
    FulfillmentCenter,
    FulfillmentEvent,
    FulfillmentSettings,
    Inventory,
    InventoryAdjustment,
    LineAllocation,
    ShippingArrangement,
    Vendor,
)


class ArrangementInline(admin.TabularInline):
    model = ShippingArrangement
    extra = 0


@admin.register(FulfillmentCenter)
class CenterAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [resources.FulfillmentCenterResource]
    list_display = [
        "code",
        "name",
        "city",
        "region",
        "country",
        "time_zone",
        "precedence",
        "is_active",
    ]
    list_filter = ["is_active", "country", "region"]
    list_editable = ["precedence", "is_active"]
    search_fields = ["code", "name", "city"]
    inlines = [ArrangementInline]


@admin.register(ShippingArrangement)
class ArrangementAdmin(admin.ModelAdmin):
    list_display = ["center", "shipping_method", "country", "region", "postal_prefix", "precedence"]
    search_fields = ["center__code", "shipping_method__code", "region", "^postal_prefix"]
    list_filter = ["center", "shipping_method", "country"]


@admin.register(Inventory)
class InventoryAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [resources.InventoryResource]
    list_display = ["sku", "center", "on_hand", "allocated", "available", "updated_at"]
    list_filter = ["center", "sku__product__category", "updated_at"]
    search_fields = ["sku__code", "sku__name"]
    list_select_related = ["sku", "center"]
    readonly_fields = ["on_hand", "allocated", "updated_at"]
    raw_id_fields = ["sku"]

    def get_readonly_fields(self, request, obj=None):
        # a new row starts empty; stock arrives through adjustments or receiving
        return self.readonly_fields if obj else ["on_hand", "allocated", "updated_at"]


@admin.register(InventoryAdjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "inventory",
        "reason",
        "quantity",
        "on_hand_before",
        "on_hand_after",
        "actor",
    ]
    list_filter = ["reason", "inventory__center", "occurred_at"]
    search_fields = ["inventory__sku__code", "note"]
    list_select_related = ["inventory__sku", "inventory__center", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Vendor)
class VendorAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [resources.VendorResource]
    list_display = ["code", "name", "email"]
    search_fields = ["code", "name"]


@admin.action(description="Receive everything still expected")
def receive_all(modeladmin, request, queryset):
    done = 0
    for row in queryset:
        if row.open_quantity <= 0:
            continue
        try:
            stock.receive_expected(actor=request.user, expected=row, quantity=row.open_quantity)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{row}: {exc.message}", level=messages.ERROR)
    modeladmin.message_user(request, f"Received {done} expected-inventory records.")


@admin.register(ExpectedInventory)
class ExpectedAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [resources.ExpectedInventoryResource]
    list_display = [
        "expected_date",
        "sku",
        "center",
        "vendor",
        "reference",
        "quantity",
        "received_quantity",
        "promised_quantity",
    ]
    list_filter = ["center", "vendor", "expected_date"]
    search_fields = ["sku__code", "reference"]
    readonly_fields = ["received_quantity", "promised_quantity", "created_at"]
    raw_id_fields = ["sku"]
    actions = [receive_all]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["quantity", "sku", "center"] if obj else []
        return [*self.readonly_fields, *fixed]

    def save_model(self, request, obj, form, change):
        if change:  # only the date, reference or vendor can change here
            super().save_model(request, obj, form, change)
            return
        created = stock.create_expected_inventory(
            actor=request.user,
            vendor=obj.vendor,
            sku=obj.sku,
            center=obj.center,
            quantity=obj.quantity,
            expected_date=obj.expected_date,
            reference=obj.reference,
        )
        obj.pk = created.pk


@admin.register(LineAllocation)
class LineAllocationAdmin(admin.ModelAdmin):
    list_display = ["line", "kind", "quantity", "center", "expected_date", "allocated_at"]
    search_fields = ["^sku__code"]
    list_filter = ["kind", "center", "allocated_at", "expected_date"]
    raw_id_fields = ["line", "inventory", "expected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FulfillmentSettings)
class SettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__"]

    def has_add_permission(self, request):
        return not FulfillmentSettings.objects.exists()


@admin.register(FulfillmentEvent)
class FulfillmentEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "event_type", "object_type", "object_id", "actor"]
    search_fields = ["object_type"]
    list_filter = ["event_type", "object_type", "occurred_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _ReadOnly(admin.ModelAdmin):
    """Releases and shipments are written by services only: read-only here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReleaseLineInline(admin.TabularInline):
    model = _models.ReleaseLine
    raw_id_fields = ["line", "sku"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(_models.Release)
class ReleaseAdmin(_ReadOnly):
    list_display = ["number", "order", "center", "shipping_method", "status", "created_at"]
    list_filter = ["status", "center", "created_at"]
    search_fields = ["number", "order__number"]
    raw_id_fields = ["order", "ship_to"]
    inlines = [ReleaseLineInline]


@admin.register(_models.Shipment)
class ShipmentAdmin(_ReadOnly):
    list_display = ["tracking_number", "carrier", "release", "amount", "capture_status"]
    list_filter = ["capture_status", "carrier", "shipped_at"]
    search_fields = ["tracking_number", "release__number", "order__number"]
    raw_id_fields = ["release", "order"]

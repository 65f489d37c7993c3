"""CSV import/export (django-import-export) of fulfillment centers, inventory by center,
vendors and expected inventory.

All or nothing like every store-admin import (core.resources). Stock is never written here:
an inventory row's `on_hand` is a count, and importing a different count adjusts stock by the
difference through the inventory service (reason "cycle count", audited, backorders follow);
a new expected-inventory row is created by its service too. `allocated` and `received_quantity`
are exported for reading only.

Formats (columns as exported; related rows by code):
- centers: code, name, line1, city, region, postal_code, country, time_zone, precedence,
  is_active
- inventory: sku, center, on_hand, allocated (read only)
- vendors: code, name, email
- expected inventory: vendor, sku, center, reference, expected_date, quantity,
  received_quantity (read only); a row is identified by vendor, SKU, center, reference and
  date, and its quantity cannot change by import once recorded
"""

from django.core.exceptions import ValidationError
from import_export import fields
from import_export.widgets import DateWidget

from catalog.models import SKU
from core.resources import AllOrNothingResource, code_field
from fulfillment.inventory import stock
from fulfillment.models import (
    AdjustmentReason,
    ExpectedInventory,
    FulfillmentCenter,
    Inventory,
    Vendor,
)


class FulfillmentCenterResource(AllOrNothingResource):
    export_ordering = ("code",)

    class Meta:
        model = FulfillmentCenter
        import_id_fields = ["code"]
        fields = [
            "code",
            "name",
            "line1",
            "city",
            "region",
            "postal_code",
            "country",
            "time_zone",
            "precedence",
            "is_active",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False


class VendorResource(AllOrNothingResource):
    export_ordering = ("code",)

    class Meta:
        model = Vendor
        import_id_fields = ["code"]
        fields = ["code", "name", "email"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False


class InventoryResource(AllOrNothingResource):
    sku = code_field("sku", SKU)
    center = code_field("center", FulfillmentCenter)
    allocated = fields.Field(attribute="allocated", column_name="allocated", readonly=True)
    export_ordering = ("sku__code", "center__code")

    class Meta:
        model = Inventory
        import_id_fields = ["sku", "center"]
        fields = ["sku", "center", "on_hand", "allocated"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("sku", "center")

    def save_instance(self, instance, is_create, row, **kwargs):
        """The count becomes an adjustment by the difference (the service locks and audits)."""
        self.before_save_instance(instance, row, **kwargs)
        current = (
            Inventory.objects.filter(sku=instance.sku, center=instance.center)
            .values_list("on_hand", flat=True)
            .first()
            or 0
        )
        if instance.on_hand != current:
            adjustment = stock.adjust_inventory(
                actor=kwargs.get("user"),
                sku=instance.sku,
                center=instance.center,
                quantity=instance.on_hand - current,
                reason=AdjustmentReason.CYCLE_COUNT,
                note="CSV import",
            )
            instance.pk = adjustment.inventory_id
        self.after_save_instance(instance, row, **kwargs)


class ExpectedInventoryResource(AllOrNothingResource):
    vendor = code_field("vendor", Vendor)
    sku = code_field("sku", SKU)
    center = code_field("center", FulfillmentCenter)
    expected_date = fields.Field(
        attribute="expected_date", column_name="expected_date", widget=DateWidget("%Y-%m-%d")
    )
    received_quantity = fields.Field(
        attribute="received_quantity", column_name="received_quantity", readonly=True
    )
    export_ordering = ("expected_date", "vendor__code", "sku__code", "center__code", "reference")

    class Meta:
        model = ExpectedInventory
        import_id_fields = ["vendor", "sku", "center", "reference", "expected_date"]
        fields = [
            "vendor",
            "sku",
            "center",
            "reference",
            "expected_date",
            "quantity",
            "received_quantity",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("vendor", "sku", "center")

    def import_instance(self, instance, row, **kwargs):
        before = instance.quantity if instance.pk else None
        super().import_instance(instance, row, **kwargs)
        if before is not None and instance.quantity != before:
            raise ValidationError(
                {"quantity": f"Already recorded with {before}; receive or record a new row."}
            )

    def save_instance(self, instance, is_create, row, **kwargs):
        """New rows through the service (audited; waiting backorders may be promised them)."""
        self.before_save_instance(instance, row, **kwargs)
        created = stock.create_expected_inventory(
            actor=kwargs.get("user"),
            vendor=instance.vendor,
            sku=instance.sku,
            center=instance.center,
            quantity=instance.quantity,
            expected_date=instance.expected_date,
            reference=instance.reference,
        )
        instance.pk = created.pk
        self.after_save_instance(instance, row, **kwargs)

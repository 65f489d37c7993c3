"""CSV import/export (django-import-export) for products and SKUs.

An import runs in one transaction and is rolled back as a whole if any row has an error or a
validation error (`use_transactions`, `rollback_on_validation_errors`, see below); rows are
validated with the model's full_clean (`clean_model_instances`), and the admin lists every
row error with its line before anything can be confirmed. Related rows are named by code,
not by database id.
"""

from import_export import fields, resources
from import_export.widgets import DateTimeWidget, ForeignKeyWidget

from catalog.models import SKU, Category, Product, normalize_code

DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class _StrictForeignKey(ForeignKeyWidget):
    """A code that names nothing is a row error (not a silent empty value)."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(value, row=row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                f"There is no {self.model._meta.verbose_name} with code {value!r}."
            ) from None


class _Dates(DateTimeWidget):
    def clean(self, value, row=None, **kwargs):
        for fmt in DATETIME_FORMATS:
            self.formats = (fmt,)
            try:
                return super().clean(value, row=row, **kwargs)
            except ValueError:
                continue
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM).")


def _date_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=_Dates())


class AllOrNothingResource(resources.ModelResource):
    """Any row error or validation error rolls the whole import back (the admin does the same
    on confirm; this makes direct and command-line imports behave alike)."""

    def import_data(self, dataset, **kwargs):
        kwargs.setdefault("use_transactions", True)
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, **kwargs)


class ProductResource(AllOrNothingResource):
    category = fields.Field(
        attribute="category", column_name="category", widget=_StrictForeignKey(Category, "code")
    )
    announced_at = _date_field("announced_at")
    available_from = _date_field("available_from")
    discontinued_at = _date_field("discontinued_at")
    withdrawn_at = _date_field("withdrawn_at")

    class Meta:
        model = Product
        import_id_fields = ["code"]
        fields = [
            "code",
            "name",
            "description",
            "category",
            "tax_code",
            "announced_at",
            "available_from",
            "discontinued_at",
            "withdrawn_at",
            "state",
        ]
        export_order = fields
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("category")

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "state":
            return  # exported for reading; the dates decide it
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)


class SKUResource(AllOrNothingResource):
    product = fields.Field(
        attribute="product", column_name="product", widget=_StrictForeignKey(Product, "code")
    )

    class Meta:
        model = SKU
        import_id_fields = ["code"]
        fields = ["code", "product", "name", "weight_kg", "is_active", "kind", "service_type"]
        export_order = fields
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("product")

    def before_import_row(self, row, **kwargs):
        if row.get("code"):
            row["code"] = normalize_code(row["code"])

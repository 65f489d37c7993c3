"""CSV import/export (django-import-export) of the catalog: the category tree, attributes with
their values, products with their defining attributes, SKUs with their combination,
associations and kits.

An import runs in one transaction and is rolled back as a whole if any row has an error or a
validation error (core.resources.AllOrNothingResource); rows are validated with the model's
full_clean (`clean_model_instances`) and, for SKUs, kits and associations, the services' rules;
the admin lists every row error with its line before anything can be confirmed. Related rows are
named by code, not by database id.

Formats (one row per record, columns as exported):
- categories: code, name, parent (a parent's row comes before its children's)
- attributes: code, name, values ("Black:BLK;White:WHT", in position order)
- products: ..., defining_attributes ("colour=Black|White;size=A4|A5", in position order)
- SKUs: ..., attributes ("colour=Black;size=A5": one value of each defining attribute)
- associations: source, target, kind, rank, note
- kits: kit, component, quantity
"""

from django.core.exceptions import ValidationError
from import_export import fields

from catalog import services
from catalog.models import (
    SKU,
    Association,
    Attribute,
    AttributeValue,
    Category,
    KitComponent,
    Product,
    ProductAxis,
    SKUKind,
    normalize_code,
)
from core.errors import DomainError
from core.resources import AllOrNothingResource, code_field, date_field


class ProductResource(AllOrNothingResource):
    category = code_field("category", Category)
    announced_at = date_field("announced_at")
    available_from = date_field("available_from")
    discontinued_at = date_field("discontinued_at")
    withdrawn_at = date_field("withdrawn_at")
    defining_attributes = fields.Field(column_name="defining_attributes")
    export_ordering = ("code",)
    text_columns = ("defining_attributes",)

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
            "defining_attributes",
        ]
        export_order = fields
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("category")
            .prefetch_related("axes__attribute", "axes__values")
        )

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "state":
            return  # exported for reading; the dates decide it
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def dehydrate_defining_attributes(self, product: Product) -> str:
        return ";".join(
            f"{axis.attribute.code}="
            + "|".join(v.value for v in sorted(axis.values.all(), key=_value_order))
            for axis in product.axes.all()
        )

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if "defining_attributes" in row:
            try:
                _axes_from_text(row["defining_attributes"])
            except ValueError as exc:
                raise ValidationError({"defining_attributes": str(exc)}) from None

    def after_save_instance(self, instance, row, **kwargs):
        if "defining_attributes" not in row:
            return
        for position, (attribute, values) in enumerate(_axes_from_text(row["defining_attributes"])):
            axis, _ = ProductAxis.objects.update_or_create(
                product=instance, attribute=attribute, defaults={"position": position}
            )
            axis.values.set(values)


class SKUResource(AllOrNothingResource):
    product = code_field("product", Product)
    attributes = fields.Field(column_name="attributes")
    export_ordering = ("code",)
    text_columns = ("attributes",)

    class Meta:
        model = SKU
        import_id_fields = ["code"]
        fields = [
            "code",
            "product",
            "name",
            "weight_kg",
            "is_active",
            "kind",
            "service_type",
            "attributes",
        ]
        export_order = fields
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("product")
            .prefetch_related("values__attribute", "values__value")
        )

    def before_import_row(self, row, **kwargs):
        if row.get("code"):
            row["code"] = normalize_code(row["code"])

    def dehydrate_attributes(self, sku: SKU) -> str:
        return ";".join(f"{v.attribute.code}={v.value.value}" for v in sku.values.all())

    def _sets_combination(self, instance, row) -> bool:
        """A new SKU always gets its combination checked; an existing one when the file has
        the column."""
        return "attributes" in row or instance.pk is None

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if not self._sets_combination(instance, row):
            return
        try:
            values = _values_from_text(row.get("attributes"))
            services.sku_combination_key(product=instance.product, values=values, sku=instance)
        except ValueError as exc:
            raise ValidationError({"attributes": str(exc)}) from None
        except DomainError as exc:
            raise ValidationError({"attributes": f"{instance.code}: {exc.message}"}) from None

    def after_save_instance(self, instance, row, **kwargs):
        if self._sets_combination(instance, row):
            services.sku_set_combination(
                sku=instance,
                values=_values_from_text(row.get("attributes")),
                actor=kwargs.get("user"),
            )


def _value_order(value: AttributeValue):
    return (value.position, value.value)


def _pairs(text) -> list[tuple[str, str]]:
    """ "a=x;b=y" as [("a", "x"), ("b", "y")]."""
    pairs = []
    for part in str(text or "").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{part.strip()!r} is not attribute=value.")
        pairs.append((key.strip(), value.strip()))
    return pairs


def _attribute(code: str) -> Attribute:
    found = Attribute.objects.filter(code=code).first()
    if found is None:
        raise ValueError(f"There is no attribute with code {code!r}.")
    return found


def _value(attribute: Attribute, text: str) -> AttributeValue:
    found = attribute.values.filter(value=text).first()
    if found is None:
        raise ValueError(f"{attribute.name} has no value {text!r}.")
    return found


def _values_from_text(text) -> list[AttributeValue]:
    """ "colour=Black;size=A5" as those attribute values."""
    return [_value(_attribute(code), value) for code, value in _pairs(text)]


def _axes_from_text(text) -> list[tuple[Attribute, list[AttributeValue]]]:
    """ "colour=Black|White;size=A5" as [(colour, [Black, White]), (size, [A5])]."""
    axes = []
    for code, values in _pairs(text):
        attribute = _attribute(code)
        axes.append((attribute, [_value(attribute, v.strip()) for v in values.split("|")]))
    return axes


class CategoryResource(AllOrNothingResource):
    parent = code_field("parent", Category)
    # Parents before their children, siblings by code: the order an import needs.
    export_ordering = ("depth", "code")

    class Meta:
        model = Category
        import_id_fields = ["code"]
        fields = ["code", "name", "parent"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class AttributeResource(AllOrNothingResource):
    values = fields.Field(column_name="values")
    export_ordering = ("code",)
    text_columns = ("values",)

    class Meta:
        model = Attribute
        import_id_fields = ["code"]
        fields = ["code", "name", "values"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().prefetch_related("values")

    def dehydrate_values(self, attribute: Attribute) -> str:
        return ";".join(
            f"{v.value}:{v.code}" if v.code else v.value
            for v in sorted(attribute.values.all(), key=_value_order)
        )

    @staticmethod
    def _parsed_values(text) -> list[tuple[str, str]]:
        """ "Black:BLK;White" as [("Black", "BLK"), ("White", "")]."""
        parsed = []
        for part in str(text or "").split(";"):
            value, _, code = part.strip().rpartition(":") if ":" in part else (part, "", "")
            if value.strip():
                parsed.append((value.strip(), code.strip()))
        return parsed

    def after_save_instance(self, instance, row, **kwargs):
        """Values are added or updated (code, position); a value missing from the file stays,
        since SKUs may name it."""
        if "values" not in row:
            return
        for position, (value, code) in enumerate(self._parsed_values(row["values"])):
            AttributeValue.objects.update_or_create(
                attribute=instance, value=value, defaults={"code": code, "position": position}
            )


class AssociationResource(AllOrNothingResource):
    source = code_field("source", SKU)
    target = code_field("target", SKU)
    export_ordering = ("source__code", "kind", "target__code")

    class Meta:
        model = Association
        import_id_fields = ["source", "target", "kind"]
        fields = ["source", "target", "kind", "rank", "note"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("source", "target")


class KitComponentResource(AllOrNothingResource):
    kit = code_field("kit", SKU)
    component = code_field("component", SKU)
    export_ordering = ("kit__code", "component__code")

    class Meta:
        model = KitComponent
        import_id_fields = ["kit", "component"]
        fields = ["kit", "component", "quantity"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("kit", "component")

    def import_instance(self, instance, row, **kwargs):
        """The rules of catalog.services.kit_set_components: a kit SKU made of items."""
        super().import_instance(instance, row, **kwargs)
        if instance.kit.kind != SKUKind.KIT:
            raise ValidationError({"kit": f"{instance.kit.code} is not a kit SKU (kind kit)."})
        if instance.component.kind != SKUKind.ITEM:
            raise ValidationError(
                {"component": f"{instance.component.code} is not an item; kits are made of items."}
            )

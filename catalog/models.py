"""The catalog: a category tree, products with defining attributes, one SKU per combination.

Category tree: an adjacency list (`parent`) plus a materialized `path` of ancestor ids
("/1/5/12/"), kept by `Category.save()` for the node and its whole subtree. A subtree is one
indexed `path LIKE '/1/5/%'` query and the ancestors of a node are read from its own path, so
no recursive SQL and no tree library are needed for a tree of a few hundred categories that
store admins edit rarely.

Product state is driven by dates (announced_at, available_from, discontinued_at,
withdrawn_at); `Product.state` is the state those dates gave at the last save, kept for
display and filtering. Whether a SKU can be sold is ONE rule: `buyable_q()` below, used by
`SKU.objects.buyable()`, by `SKU.is_buyable` and by `catalog.services.ensure_buyable`.
"""

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from core.models import AuditEvent


class Category(models.Model):
    """A node of the category tree (adjacency list + materialized path of ids)."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    # "/<root id>/.../<own id>/": maintained by save(); never edit by hand.
    path = models.CharField(max_length=255, blank=True, default="", editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        if self.pk and self.parent_id:
            self._computed_path()  # refuses a move into its own subtree before writing
        with transaction.atomic():
            super().save(*args, **kwargs)
            self._refresh_paths(old_path)

    def _refresh_paths(self, old_path: str) -> None:
        path, depth = self._computed_path()
        if path != old_path or depth != self.depth:
            self.path, self.depth = path, depth
            Category.objects.filter(pk=self.pk).update(path=path, depth=depth)
            if old_path:
                self._move_descendants(old_path, path)

    def clean(self) -> None:
        if self.parent_id and self.pk:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": "A category cannot be its own parent."})
            parent_path = Category.objects.filter(pk=self.parent_id).values_list("path", flat=True)
            if parent_path and f"/{self.pk}/" in parent_path[0]:
                raise ValidationError(
                    {"parent": "That category is inside this one; choose one outside it."}
                )

    def _computed_path(self) -> tuple[str, int]:
        if self.parent_id is None:
            return f"/{self.pk}/", 0
        parent = Category.objects.only("path", "depth").get(pk=self.parent_id)
        if f"/{self.pk}/" in parent.path:
            raise ValidationError("A category cannot be moved inside its own subtree.")
        return f"{parent.path}{self.pk}/", parent.depth + 1

    @staticmethod
    def _move_descendants(old_path: str, new_path: str) -> None:
        shift = new_path.count("/") - old_path.count("/")
        descendants = Category.objects.filter(path__startswith=old_path).exclude(path=old_path)
        moved = []
        for node in descendants.only("id", "path", "depth"):
            node.path = new_path + node.path[len(old_path) :]
            node.depth += shift
            moved.append(node)
        Category.objects.bulk_update(moved, ["path", "depth"])

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this category (itself included)."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def subtree(self) -> models.QuerySet:
        return Category.objects.filter(path__startswith=self.path)


class ProductState(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    AVAILABLE = "available", "Available"
    DISCONTINUED = "discontinued", "Discontinued"
    WITHDRAWN = "withdrawn", "Withdrawn"


def state_at(*, available_from, discontinued_at, withdrawn_at, now=None) -> str:
    """The lifecycle state that a product's dates give at `now`."""
    now = now or timezone.now()
    if withdrawn_at and withdrawn_at <= now:
        return ProductState.WITHDRAWN
    if discontinued_at and discontinued_at <= now:
        return ProductState.DISCONTINUED
    if available_from and available_from <= now:
        return ProductState.AVAILABLE
    return ProductState.ANNOUNCED


class Attribute(models.Model):
    """A property of products: defining (makes variants: colour, size) or descriptive."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AttributeValue(models.Model):
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=120)
    # Short code used in generated SKU codes (e.g. "BLK" for Black); defaults to the value.
    code = models.CharField(max_length=20, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attribute", "position", "value"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "value"], name="catalog_attrvalue_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attribute.name}: {self.value}"

    @property
    def sku_code_part(self) -> str:
        return (self.code or self.value).upper().replace(" ", "")


class Product(models.Model):
    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    # Derived from the dates below at each save (display/filtering); the rule uses the dates.
    state = models.CharField(
        max_length=20, choices=ProductState.choices, default=ProductState.AVAILABLE
    )
    announced_at = models.DateTimeField(null=True, blank=True)
    available_from = models.DateTimeField(
        null=True, blank=True, default=timezone.now, help_text="Empty: not yet orderable."
    )
    discontinued_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Pricing looks the tax rate up by this code (pricing.TaxCategory.code).
    tax_code = models.CharField(max_length=30, default="standard")
    defining_attributes = models.ManyToManyField(
        Attribute, through="ProductAxis", related_name="defined_products", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.state = self.effective_state
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "state"}
        super().save(*args, **kwargs)

    @property
    def effective_state(self) -> str:
        return state_at(
            available_from=self.available_from,
            discontinued_at=self.discontinued_at,
            withdrawn_at=self.withdrawn_at,
        )

    def clean(self) -> None:
        if (
            self.available_from
            and self.discontinued_at
            and self.discontinued_at < self.available_from
        ):
            raise ValidationError(
                {"discontinued_at": "Discontinued date is before the available date."}
            )
        if self.discontinued_at and self.withdrawn_at and self.withdrawn_at < self.discontinued_at:
            raise ValidationError(
                {"withdrawn_at": "Withdrawn date is before the discontinued date."}
            )


class ProductAxis(models.Model):
    """A defining attribute of a product and the values it comes in (one SKU per combination)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="axes")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="axes")
    position = models.PositiveIntegerField(default=0)
    values = models.ManyToManyField(AttributeValue, related_name="axes")

    class Meta:
        ordering = ["product", "position", "id"]
        verbose_name = "defining attribute"
        constraints = [
            models.UniqueConstraint(fields=["product", "attribute"], name="catalog_axis_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product} by {self.attribute}"


class DescriptiveValue(models.Model):
    """A descriptive attribute of a product: shown, never makes variants (e.g. paper weight)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="descriptions")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=255)

    class Meta:
        ordering = ["product", "attribute"]
        verbose_name = "descriptive attribute"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "attribute"], name="catalog_descriptive_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attribute}: {self.value}"


class SKUKind(models.TextChoices):
    ITEM = "item", "Item"
    KIT = "kit", "Kit"
    SERVICE = "service", "Service"


class ServiceType(models.TextChoices):
    NONE = "", "—"
    WARRANTY = "warranty", "Warranty"
    GIFT_WRAP = "gift_wrap", "Gift wrap"


def buyable_q(now=None, prefix: str = "") -> Q:
    """THE rule: a SKU is buyable when it is active, its product is available at `now`
    (available_from reached, not discontinued or withdrawn yet) and, for a kit, every
    component is itself buyable by the same date rule.

    `prefix` lets another model filter through a relation (e.g. prefix="sku__").
    """
    now = now or timezone.now()
    p = prefix
    own = (
        Q(
            **{
                f"{p}is_active": True,
                f"{p}product__available_from__isnull": False,
                f"{p}product__available_from__lte": now,
            }
        )
        & ~Q(**{f"{p}product__discontinued_at__lte": now})
        & ~Q(**{f"{p}product__withdrawn_at__lte": now})
    )
    unbuyable_component = KitComponent.objects.filter(kit=OuterRef(f"{p}pk" if p else "pk")).filter(
        Q(component__is_active=False)
        | Q(component__product__available_from__isnull=True)
        | Q(component__product__available_from__gt=now)
        | Q(component__product__discontinued_at__lte=now)
        | Q(component__product__withdrawn_at__lte=now)
    )
    return own & ~Exists(unbuyable_component)


class SKUQuerySet(models.QuerySet):
    def buyable(self, now=None):
        return self.filter(buyable_q(now))

    def with_buyable(self, now=None):
        """Annotate `buyable` (bool) so that `sku.is_buyable` costs no query."""
        return self.annotate(
            buyable=models.ExpressionWrapper(buyable_q(now), output_field=models.BooleanField())
        )


# What a CSR may leave out of a code: "nbblka5" finds NB-BLK-A5 (SKU.code_compact).
CODE_SEPARATORS = ("-", " ", ".", "/", "_")


def _without_separators(expression):
    for separator in CODE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


class SKU(models.Model):
    """The orderable item: one per combination of the product's defining attribute values."""

    code = models.CharField(max_length=60, unique=True)
    # The code without its separators, as a CSR types it fast ("nbblka5" for NB-BLK-A5);
    # computed by the database, so bulk loads and imports have it too.
    code_compact = models.GeneratedField(
        expression=Upper(_without_separators(F("code"))),
        output_field=models.CharField(max_length=60),
        db_persist=True,
        db_index=True,
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(max_length=200)
    weight_kg = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("0"))
    is_active = models.BooleanField(default=True)
    kind = models.CharField(max_length=10, choices=SKUKind.choices, default=SKUKind.ITEM)
    service_type = models.CharField(
        max_length=20, choices=ServiceType.choices, default=ServiceType.NONE, blank=True
    )
    # Sorted attribute value ids of the combination ("3.17"): one SKU per combination.
    variant_key = models.CharField(max_length=120, blank=True, default="", editable=False)
    attribute_values = models.ManyToManyField(
        AttributeValue, through="SKUAttributeValue", related_name="skus", blank=True
    )

    objects = SKUQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "SKU"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "variant_key"],
                condition=~Q(variant_key=""),
                name="catalog_sku_one_per_combination",
            ),
            models.CheckConstraint(
                condition=Q(kind="service") | Q(service_type=""),
                name="catalog_sku_service_type_only_for_services",
            ),
        ]
        indexes = [
            # Fuzzy name search (pg_trgm). Created only on PostgreSQL (see migration 0002).
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="catalog_sku_name_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.code = normalize_code(self.code)
        super().save(*args, **kwargs)

    @property
    def is_buyable(self) -> bool:
        """The one rule (buyable_q); free when the queryset used `with_buyable()`."""
        annotated = self.__dict__.get("buyable")
        if annotated is not None:
            return bool(annotated)
        if self.pk is None:
            return False
        return SKU.objects.filter(pk=self.pk).buyable().exists()

    @property
    def state(self) -> str:
        """The product's lifecycle state now (an inactive SKU is not buyable in any state)."""
        return self.product.effective_state


def normalize_code(code: str) -> str:
    """SKU codes are stored upper case without surrounding blanks: searches compare upper case."""
    return (code or "").strip().upper()


def compact_code(code: str) -> str:
    """A code (or the start of one) as SKU.code_compact holds it: upper case, no separators."""
    text = normalize_code(code)
    for separator in CODE_SEPARATORS:
        text = text.replace(separator, "")
    return text


class SKUAttributeValue(models.Model):
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="values")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    value = models.ForeignKey(AttributeValue, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["sku", "attribute"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "attribute"], name="catalog_skuvalue_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sku.code} {self.attribute.code}={self.value.value}"


class AssociationKind(models.TextChoices):
    CROSS_SELL = "cross_sell", "Cross-sell"
    UP_SELL = "up_sell", "Up-sell"
    ACCESSORY = "accessory", "Accessory"
    REPLACEMENT = "replacement", "Replacement"
    ALTERNATIVE = "alternative", "Alternative"


class Association(models.Model):
    """A merchandising association from one SKU to another, shown to the CSR."""

    source = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="associations")
    target = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="associated_from")
    kind = models.CharField(max_length=20, choices=AssociationKind.choices)
    rank = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["source", "kind", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="catalog_association_unique"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="catalog_association_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code} ({self.get_kind_display()})"


class KitComponent(models.Model):
    """A kit SKU is sold as one line and made of component SKUs with quantities."""

    kit = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(SKU, on_delete=models.PROTECT, related_name="in_kits")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["kit", "component__code"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="catalog_kit_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="catalog_kit_qty_positive"),
            models.CheckConstraint(
                condition=~Q(kit=models.F("component")), name="catalog_kit_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.component.code}"


class CatalogEvent(AuditEvent):
    """Audit rows for catalog changes, through the services or inline on the admin's SKU page."""

    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    sku = models.ForeignKey(
        SKU, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    class Meta(AuditEvent.Meta):
        pass

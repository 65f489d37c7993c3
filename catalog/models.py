from decimal import Decimal

from django.db import models


class Category(models.Model):
    """A node of the category tree (adjacency list)."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ProductState(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    AVAILABLE = "available", "Available"
    DISCONTINUED = "discontinued", "Discontinued"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Product(models.Model):
    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    state = models.CharField(
        max_length=20, choices=ProductState.choices, default=ProductState.AVAILABLE
    )
    # Pricing looks the tax rate up by this code (pricing.TaxCategory.code).
    tax_code = models.CharField(max_length=30, default="standard")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SKU(models.Model):
    """The orderable item: one per combination of the product's defining attribute values."""

    code = models.CharField(max_length=60, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(max_length=200)
    weight_kg = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("0"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "SKU"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

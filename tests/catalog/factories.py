"""Catalog factories; other apps' tests may import these (SKUFactory gives a buyable SKU)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.models import (
    SKU,
    Association,
    Attribute,
    AttributeValue,
    Category,
    KitComponent,
    Product,
    ProductAxis,
)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    available_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    tax_code = "standard"

    class Params:
        discontinued = factory.Trait(
            discontinued_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
        )
        withdrawn = factory.Trait(
            discontinued_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=10)),
            withdrawn_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
        )
        announced = factory.Trait(
            available_from=factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
        )


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SKU

    code = factory.Sequence(lambda n: f"SKU-{n:05d}")
    product = factory.SubFactory(ProductFactory)
    name = factory.LazyAttribute(lambda o: o.product.name)
    weight_kg = Decimal("0.250")


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attribute
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"attr-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class AttributeValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeValue
        django_get_or_create = ("attribute", "value")

    attribute = factory.SubFactory(AttributeFactory)
    value = factory.Sequence(lambda n: f"V{n}")


def add_axis(product, attribute_code: str, values: list[str], position: int = 0) -> ProductAxis:
    """Give `product` a defining attribute with these values."""
    attribute = AttributeFactory(code=attribute_code, name=attribute_code.title())
    axis = ProductAxis.objects.create(product=product, attribute=attribute, position=position)
    axis.values.set(
        AttributeValueFactory(attribute=attribute, value=value, position=i)
        for i, value in enumerate(values)
    )
    return axis


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Association

    source = factory.SubFactory(SKUFactory)
    target = factory.SubFactory(SKUFactory)
    kind = "cross_sell"


class KitComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KitComponent

    kit = factory.SubFactory(SKUFactory, kind="kit")
    component = factory.SubFactory(SKUFactory)
    quantity = 1

"""Fulfillment factories (other apps' tests may import these).

`stock(sku, center, on_hand)` and `expect(sku, center, quantity, days)` are the quick ways to
put goods somewhere; `arrangement(center, method, country, ...)` says who ships where.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from fulfillment.models import (
    ExpectedInventory,
    FulfillmentCenter,
    Inventory,
    ShippingArrangement,
    Vendor,
)
from pricing.models import ShippingMethod


class CenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FulfillmentCenter
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Center {o.code}")
    city = "Toronto"
    region = "ON"
    country = "CA"
    precedence = factory.Sequence(lambda n: 10 + n)


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod
        django_get_or_create = ("code",)

    code = "ground"
    name = factory.LazyAttribute(lambda o: o.code.title())


class ArrangementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingArrangement

    center = factory.SubFactory(CenterFactory)
    shipping_method = factory.SubFactory(ShippingMethodFactory)
    country = "CA"
    region = ""
    postal_prefix = ""
    precedence = 100


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"V{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Vendor {o.code}")


class InventoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inventory
        django_get_or_create = ("sku", "center")

    sku = factory.SubFactory("tests.catalog.factories.SKUFactory")
    center = factory.SubFactory(CenterFactory)
    on_hand = 10
    allocated = 0


class ExpectedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpectedInventory

    vendor = factory.SubFactory(VendorFactory)
    sku = factory.SubFactory("tests.catalog.factories.SKUFactory")
    center = factory.SubFactory(CenterFactory)
    quantity = 10
    expected_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


def stock(sku, center, on_hand: int) -> Inventory:
    row, _ = Inventory.objects.update_or_create(
        sku=sku, center=center, defaults={"on_hand": on_hand}
    )
    return row


def expect(sku, center, quantity: int, days: int = 7) -> ExpectedInventory:
    return ExpectedFactory(
        sku=sku,
        center=center,
        quantity=quantity,
        expected_date=timezone.localdate() + timedelta(days=days),
    )

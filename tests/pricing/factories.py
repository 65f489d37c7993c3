"""Pricing factories; other apps' tests may import these."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from pricing import models as m


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ShippingMethod
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ship-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ShippingRate

    method = factory.SubFactory(ShippingMethodFactory)
    currency = "CAD"
    basis = m.ShippingRate.Basis.FLAT
    amount = Decimal("8.00")


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PriceList

    name = factory.Sequence(lambda n: f"List {n}")
    currency = "CAD"
    kind = m.PriceList.Kind.BASE


class PriceListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PriceListEntry

    price_list = factory.SubFactory(PriceListFactory)
    sku = factory.SubFactory("tests.catalog.factories.SKUFactory")
    min_quantity = 1
    price = Decimal("10.00")


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Promotion {n}")
    reward = m.Reward.ORDER_PERCENT
    percent = Decimal("10")

    @factory.post_generation
    def skus(self, create, extracted, **kwargs):
        if create and extracted:
            self.skus.set(extracted)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.segments.set(extracted)


class TaxCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TaxCategory
        django_get_or_create = ("code",)

    code = "standard"
    name = "Standard"


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TaxRate

    category = factory.SubFactory(TaxCategoryFactory)
    country = "CA"
    region = "ON"
    name = "HST"
    rate = Decimal("13")


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Coupon

    promotion = factory.SubFactory(
        PromotionFactory, is_coupon=True, coupon_valid_days=30, name="Coupon 5 off"
    )
    customer = factory.SubFactory("tests.customers.factories.CustomerFactory")
    code = factory.Sequence(lambda n: f"CPN-{n:06d}")
    issued_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.issued_at + timedelta(days=30))

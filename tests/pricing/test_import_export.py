"""The pricing rules' CSV files round-trip; an import is validated like the admin form and
counts as a rule change."""

from datetime import time
from decimal import Decimal

import pytest
import tablib

from pricing import models as m
from pricing.resources import (
    CouponResource,
    PriceListEntryResource,
    PriceListResource,
    PromotionResource,
    ShippingMethodResource,
    ShippingRateResource,
    TaxCategoryResource,
    TaxRateResource,
)
from tests.catalog.factories import CategoryFactory, SKUFactory
from tests.customers.factories import CustomerFactory, OrganizationFactory, SegmentFactory
from tests.pricing.factories import (
    CouponFactory,
    PriceListEntryFactory,
    PriceListFactory,
    PromotionFactory,
    ShippingMethodFactory,
    ShippingRateFactory,
    TaxRateFactory,
)
from tests.round_trip import assert_round_trip

pytestmark = pytest.mark.django_db

PRICING_RESOURCES = [
    ShippingMethodResource,
    ShippingRateResource,
    TaxCategoryResource,
    TaxRateResource,
    PriceListResource,
    PriceListEntryResource,
    PromotionResource,
    CouponResource,
]
PRICING_MODELS = [
    m.ShippingMethod,
    m.ShippingRate,
    m.ShippingRateBand,
    m.TaxCategory,
    m.TaxRate,
    m.PriceList,
    m.PriceListEntry,
    m.CategoryPriceAdjustment,
    m.Promotion,
    m.Coupon,
]


def _rules():
    gold = SegmentFactory(code="gold")
    binders = CategoryFactory(code="binders")
    sku, gift = SKUFactory(code="BND-1"), SKUFactory(code="GIFT-1")
    ground = ShippingMethodFactory(code="ground", name="Ground", carrier="UPS")
    rate = ShippingRateFactory(method=ground, basis="weight", amount=Decimal("0"))
    m.ShippingRateBand.objects.create(rate=rate, from_value=0, charge=Decimal("5.00"))
    m.ShippingRateBand.objects.create(rate=rate, from_value=2, charge=Decimal("9.50"))
    TaxRateFactory(region="ON", postal_prefix="K1A")
    base = PriceListFactory(name="Base")
    PriceListEntryFactory(price_list=base, sku=sku, min_quantity=1, price=Decimal("12.00"))
    PriceListEntryFactory(price_list=base, sku=sku, min_quantity=10, price=Decimal("10.00"))
    members = PriceListFactory(name="Gold members", kind="segment", segment=gold, base_list=base)
    m.CategoryPriceAdjustment.objects.create(
        price_list=members, category=binders, direction="off", percent=Decimal("10")
    )
    PriceListFactory(
        name="Acme contract", kind="contract", organization=OrganizationFactory(), priority=5
    )
    promotion = PromotionFactory(
        name="Binders 15% weekdays",
        reward=m.Reward.PRODUCT_PERCENT,
        percent=Decimal("15"),
        skus=[sku],
        categories=[binders],
        segments=[gold],
        days_of_week="0,1,2,3,4",
        time_from=time(9),
        time_to=time(17),
        limit_per_customer=2,
    )
    promotion.shipping_methods.set([ground])
    PromotionFactory(name="Gift over 100", reward=m.Reward.ORDER_GIFT, gift_sku=gift)
    CouponFactory(customer=CustomerFactory(logon_id="ann@example.com"))


def test_pricing_files_round_trip(store_admin):
    _rules()
    files = assert_round_trip(PRICING_RESOURCES, PRICING_MODELS, user=store_admin)
    assert "0.000=5.00;2.000=9.50" in files["ShippingRateResource"]
    assert "binders:off:10.000" in files["PriceListResource"]
    assert "Base,CAD,BND-1,10,10.00" in files["PriceListEntryResource"]
    assert "ann@example.com" in files["CouponResource"]
    promotion = m.Promotion.objects.get(name="Binders 15% weekdays")
    assert [s.code for s in promotion.skus.all()] == ["BND-1"]
    assert m.PricingEvent.objects.filter(actor=store_admin, data__action="imported").exists()


def test_a_rule_the_admin_form_refuses_is_refused_on_import():
    base = PriceListFactory(name="Base")
    data = tablib.Dataset(headers=["name", "currency", "kind", "segment", "base_list"])
    data.append(["Fine", "CAD", "base", "", ""])
    data.append(["No segment", "CAD", "segment", "", ""])
    data.append(["Unknown base", "CAD", "base", "", "Nope"])
    result = PriceListResource().import_data(data, dry_run=False)
    errors = {row.number: str(row.error_dict) for row in result.invalid_rows}
    assert set(errors) == {2, 3}
    assert "needs its segment" in errors[2]
    assert "Nope" in errors[3]
    assert list(m.PriceList.objects.all()) == [base]

    promotions = tablib.Dataset(headers=["name", "reward", "percent"])
    promotions.append(["Too much", "order_percent", "150"])
    result = PromotionResource().import_data(promotions, dry_run=False)
    assert "over 100" in str(result.invalid_rows[0].error_dict)

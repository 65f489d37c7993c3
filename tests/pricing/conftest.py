from decimal import Decimal

import pytest
from django.core.cache import cache

from tests.catalog.factories import CategoryFactory, ProductFactory, SKUFactory
from tests.orders.factories import OrderAddressFactory, OrderFactory, OrderLineFactory
from tests.pricing.factories import (
    PriceListEntryFactory,
    PriceListFactory,
    ShippingRateFactory,
    TaxCategoryFactory,
    TaxRateFactory,
)


@pytest.fixture(autouse=True)
def _fresh_rules_cache():
    from pricing.loader import bump_rules_version

    cache.clear()
    bump_rules_version()
    yield
    cache.clear()


class Store:
    """A small store: notebooks and pens under Stationery, a base list, Ground shipping, HST."""

    def __init__(self):
        self.stationery = CategoryFactory(code="stationery", name="Stationery")
        self.notebooks = CategoryFactory(code="notebooks", name="Notebooks", parent=self.stationery)
        self.pens = CategoryFactory(code="pens", name="Pens", parent=self.stationery)
        self.notebook = SKUFactory(
            code="NB-A5", product=ProductFactory(category=self.notebooks), weight_kg=Decimal("0.4")
        )
        self.pen = SKUFactory(
            code="PEN-BLK", product=ProductFactory(category=self.pens), weight_kg=Decimal("0.02")
        )
        self.case = SKUFactory(code="CASE-A5", product=ProductFactory(category=self.notebooks))
        self.base = PriceListFactory(name="Base CAD")
        PriceListEntryFactory(price_list=self.base, sku=self.notebook, price=Decimal("12.00"))
        PriceListEntryFactory(
            price_list=self.base, sku=self.notebook, min_quantity=10, price=Decimal("10.00")
        )
        PriceListEntryFactory(price_list=self.base, sku=self.pen, price=Decimal("2.50"))
        PriceListEntryFactory(price_list=self.base, sku=self.case, price=Decimal("15.00"))
        self.ground = ShippingRateFactory(amount=Decimal("8.00")).method
        TaxRateFactory(category=TaxCategoryFactory(code="standard"), rate=Decimal("13"))
        TaxRateFactory(category=TaxCategoryFactory(code="shipping", name="Shipping"))

    def cart(self, customer=None, **lines):
        order = OrderFactory(customer=customer)
        address = OrderAddressFactory(order=order, shipping_method=self.ground)
        for code, qty in lines.items():
            sku = {"notebook": self.notebook, "pen": self.pen, "case": self.case}[code]
            OrderLineFactory(order=order, sku=sku, quantity=qty, ship_to=address)
        return order


@pytest.fixture
def store(db):
    return Store()

from pricing import demo
from pricing import models as m
from tests.catalog.factories import CategoryFactory, ProductFactory, SKUFactory


def test_demo_is_idempotent(db):
    notebooks = CategoryFactory(code="notebooks", name="Notebooks")
    SKUFactory(code="NB-A5", product=ProductFactory(category=notebooks))
    SKUFactory(code="CASE-A5", product=ProductFactory(category=notebooks))
    lines = []
    demo.load(lines.append)
    counts = [
        model.objects.count()
        for model in (m.PriceList, m.PriceListEntry, m.Promotion, m.TaxRate, m.ShippingRate)
    ]
    demo.load(lines.append)
    assert counts == [
        model.objects.count()
        for model in (m.PriceList, m.PriceListEntry, m.Promotion, m.TaxRate, m.ShippingRate)
    ]
    assert m.PriceListEntry.objects.count() == 4
    gift = m.Promotion.objects.get(name="Buy 2 notebooks, get a case")
    assert gift.gift_sku.code == "CASE-A5"

from decimal import Decimal

from orders.models import OrderLine
from pricing import models as m
from pricing.services import reprice_order
from tests.pricing.factories import PromotionFactory


def test_reprice_writes_lines_totals_and_gifts(store):
    PromotionFactory(
        name="Buy 2 notebooks, get a case",
        reward=m.Reward.PRODUCT_GIFT,
        percent=None,
        min_quantity=2,
        gift_sku=store.case,
        limit_per_order=1,
        skus=[store.notebook],
    )
    order = store.cart(notebook=2, pen=2)
    priced = reprice_order(order=order)
    order.refresh_from_db()
    assert order.subtotal == Decimal("29.00")
    assert order.shipping_total == Decimal("8.00")
    assert order.tax_total == Decimal("4.81")  # 13% of 29.00 = 3.77 + 13% of 8.00 = 1.04
    assert order.total == Decimal("41.81")
    gift = OrderLine.objects.get(order=order, is_gift=True)
    assert (gift.sku_id, gift.quantity, gift.line_total) == (store.case.pk, 1, Decimal("0"))
    assert [a.name for a in priced.explanation.applied] == ["Buy 2 notebooks, get a case"]
    assert m.PromotionUsage.objects.get(order=order).status == m.UsageStatus.PENDING

    line = OrderLine.objects.get(order=order, sku=store.notebook)
    line.quantity = 1
    line.save()
    priced = reprice_order(order=order)
    assert not OrderLine.objects.filter(order=order, is_gift=True).exists()
    assert not m.PromotionUsage.objects.filter(order=order).exists()
    assert [n.message for n in priced.explanation.near_misses] == [
        "Add 1 more to get “Buy 2 notebooks, get a case”."
    ]

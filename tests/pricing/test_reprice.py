from decimal import Decimal

from django.db import connection

from orders.models import OrderLine
from orders.pricing import reprice_order
from pricing import models as m
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


def test_a_changed_cart_rewrites_only_what_changed(store, django_assert_num_queries):
    PromotionFactory(name="Five off", reward=m.Reward.ORDER_FIXED, percent=None, amount=5)
    order = store.cart(notebook=2, pen=2)
    reprice_order(order=order)
    usage = m.PromotionUsage.objects.get(order=order)
    assert usage.amount == Decimal("5.00")
    notebook = OrderLine.objects.get(order=order, sku=store.notebook)
    pen = OrderLine.objects.get(order=order, sku=store.pen)
    # 24.00 of notebooks and 5.00 of pens share the five off by their amounts: 4.14 / 0.86
    assert (notebook.discount_total, notebook.line_total) == (Decimal("4.14"), Decimal("19.86"))
    assert (pen.discount_total, pen.line_total) == (Decimal("0.86"), Decimal("4.14"))

    OrderLine.objects.filter(pk=pen.pk).update(quantity=6)
    # read the order's lines (and whether it has an open quote), read the rest; write the two
    # lines and the totals in one statement on PostgreSQL (SQLite sends each on its own)
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        reprice_order(order=order)
    notebook.refresh_from_db()
    pen.refresh_from_db()
    assert (notebook.unit_price, notebook.discount_total, notebook.line_total) == (
        Decimal("12.00"),
        Decimal("3.08"),
        Decimal("20.92"),
    )
    assert (pen.unit_price, pen.discount_total, pen.line_total) == (
        Decimal("2.50"),
        Decimal("1.92"),
        Decimal("13.08"),
    )
    usage.refresh_from_db()
    assert (usage.status, usage.amount) == (m.UsageStatus.PENDING, Decimal("5.00"))

    # a use released (say, by a cancel) comes back pending when its cart is priced again
    m.PromotionUsage.objects.filter(pk=usage.pk).update(status=m.UsageStatus.RELEASED, amount=0)
    reprice_order(order=order)
    usage.refresh_from_db()
    assert (usage.status, usage.amount) == (m.UsageStatus.PENDING, Decimal("5.00"))

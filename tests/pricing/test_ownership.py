"""Pricing writes only pricing's tables; orders writes the priced result onto its own rows."""

import re
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.roles import Role
from orders.models import OrderLine
from orders.pricing import amounts_of, read_for_pricing, reprice_order
from pricing import models as m
from pricing import services
from tests.customers.factories import CustomerFactory
from tests.pricing.factories import CouponFactory, PromotionFactory

# A write starts a statement or one part of a WITH that sends several owners' writes together.
WRITE = re.compile(r'(?:^|\bAS \()\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def written_tables(queries) -> set[str]:
    return {table for q in queries for table in WRITE.findall(q["sql"])}


def test_every_pricing_workflow_writes_only_pricing_tables(store, csr):
    m.AdjustmentLimit.objects.create(
        group=Group.objects.get(name=Role.CSR.value), max_amount=Decimal("50.00")
    )
    PromotionFactory(
        name="Buy 2 notebooks, get a case",
        reward=m.Reward.PRODUCT_GIFT,
        percent=None,
        min_quantity=2,
        gift_sku=store.case,
        skus=[store.notebook],
    )
    PromotionFactory(name="Spring", code="SPRING", percent=Decimal("5"), limit_overall=10)
    customer = CustomerFactory()
    coupon = CouponFactory(customer=customer)
    order = store.cart(customer=customer, notebook=2, pen=1)
    reprice_order(order=order)  # orders' side: prices, the gift line, totals
    facts = read_for_pricing(order).facts
    with CaptureQueriesContext(connection) as queries:
        services.enter_promotion_code(
            order_id=order.pk, customer_id=customer.pk, code="spring", actor=csr
        )
        services.redeem_coupon(
            order_id=order.pk, customer_id=customer.pk, coupon_id=coupon.pk, actor=csr
        )
        services.add_adjustment(
            order=amounts_of(order), actor=csr, kind="order_amount", value="1", reason_code="late"
        )
        priced = services.reprice_order(order=facts)
        services.finalize_order_pricing(order=facts, actor=csr)
        services.release_order_pricing(order_id=order.pk, actor=csr)
    assert [g.sku_id for g in priced.gifts] == [store.case.pk]
    written = written_tables(queries.captured_queries)
    assert "pricing_promotionusage" in written
    assert {t for t in written if not t.startswith("pricing_")} == set()


def test_orders_writes_the_priced_result(store):
    PromotionFactory(name="Five off", reward=m.Reward.ORDER_FIXED, percent=None, amount=5)
    order = store.cart(notebook=2)
    with CaptureQueriesContext(connection) as queries:
        reprice_order(order=order)
    assert {"orders_orderline", "orders_order"} <= written_tables(queries.captured_queries)
    line = OrderLine.objects.get(order=order)
    assert (line.discount_total, line.line_total) == (Decimal("5.00"), Decimal("19.00"))

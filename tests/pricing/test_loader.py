"""The loader's read of an order: every fact the engine needs, from two queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import OrderAddress
from orders.pricing import read_for_pricing
from pricing import engine as e
from pricing import models as m
from pricing.loader import UsageRow, active_rules, load_order
from tests.customers.factories import CustomerFactory, OrganizationFactory, SegmentFactory
from tests.orders.factories import OrderAddressFactory, OrderLineFactory
from tests.pricing.factories import (
    CouponFactory,
    PriceListEntryFactory,
    PriceListFactory,
    PromotionFactory,
)


def test_a_customer_order_is_read_whole(store, csr, django_assert_num_queries):
    now = timezone.now()
    organization = OrganizationFactory()
    gold, silver = SegmentFactory(), SegmentFactory()
    customer = CustomerFactory(organization=organization)
    customer.segments.add(gold, silver)
    order = store.cart(customer=customer, notebook=2)
    first = order.addresses.get()
    current = OrderAddressFactory(
        order=order, shipping_method=store.ground, region=" qc ", postal_code="h2x 1y4"
    )
    OrderAddressFactory(order=order, kind=OrderAddress.Kind.BILLING)  # not a ship-to
    order.current_ship_to = current
    order.save(update_fields=["current_ship_to"])
    pen_line = OrderLineFactory(order=order, sku=store.pen, quantity=3)  # no ship-to of its own
    notebook_line = order.lines.get(sku=store.notebook)
    usd = PriceListFactory(name="Base USD", currency="USD")
    PriceListEntryFactory(price_list=usd, sku=store.notebook, price=Decimal("9.00"))

    spring = PromotionFactory(name="Spring", code="SPRING")
    m.OrderPromotionCode.objects.create(order=order, code="spring", promotion=spring)
    selected = CouponFactory(customer=customer, order=order)
    CouponFactory(customer=customer, order=order, expires_at=now - timedelta(hours=1))
    consumed = CouponFactory(
        customer=customer,
        order=order,
        status=m.Coupon.Status.CONSUMED,
        expires_at=now - timedelta(hours=1),
    )

    def adjustment(**kwargs):
        return m.OrderAdjustment.objects.create(
            order=order, reason_code="damaged", requested_by=csr, **kwargs
        )

    later = adjustment(kind="order_amount", value=Decimal("5.00"), status="approved")
    earlier = adjustment(
        kind="line_percent", value=Decimal("10.00"), status="pending", line=notebook_line
    )
    adjustment(kind="order_amount", value=Decimal("1.00"), status="rejected")
    m.OrderAdjustment.objects.filter(pk=earlier.pk).update(
        created_at=later.created_at - timedelta(minutes=1)
    )

    overall = PromotionFactory(name="Five in all", limit_overall=5)
    m.PromotionCounter.objects.create(promotion=overall, used=3)
    own = m.PromotionUsage.objects.create(
        promotion=overall, order=order, customer=customer, status="final", amount=Decimal("2.40")
    )
    twice = PromotionFactory(name="Twice each", limit_per_customer=2)
    elsewhere = store.cart(customer=customer, pen=1)
    m.PromotionUsage.objects.create(
        promotion=twice, order=elsewhere, customer=customer, status="final"
    )
    pending = m.PromotionUsage.objects.create(
        promotion=twice, order=order, customer=customer, status="pending", amount=Decimal("1.00")
    )
    PromotionFactory(name="Notebooks only, limited", limit_overall=1, skus=[store.case])

    order.refresh_from_db()
    load_order(read_for_pricing(order).facts)  # warms the rules cache
    with django_assert_num_queries(2):
        loaded = load_order(read_for_pricing(order).facts, now=now)
    s = loaded.snapshot

    assert s.customer_id == customer.pk
    assert s.organization_id == organization.pk
    assert s.segment_ids == {gold.pk, silver.pk}
    assert s.ship_tos == (
        e.ShipTo(str(first.pk), store.ground.pk, "CA", "ON", "M5H1A1"),
        e.ShipTo(str(current.pk), store.ground.pk, "CA", "QC", "H2X1Y4"),
    )
    assert [(x.line_id, x.ship_to, x.category_ids) for x in s.lines] == [
        (notebook_line.pk, str(first.pk), (store.notebooks.pk, store.stationery.pk)),
        (pen_line.pk, str(current.pk), (store.pens.pk, store.stationery.pk)),
    ]
    assert s.codes == {"SPRING"}
    assert s.coupon_promotion_ids == {selected.promotion_id, consumed.promotion_id}
    assert [(a.id, a.kind, a.value, a.reason, a.line_id, a.approved) for a in s.adjustments] == [
        (
            earlier.pk,
            "line_percent",
            Decimal("10.00"),
            "Damaged or defective item",
            notebook_line.pk,
            False,
        ),
        (later.pk, "order_amount", Decimal("5.00"), "Damaged or defective item", None, True),
    ]
    # own final use stays available to the order; the pending use on this order does not
    # count against the customer; promotions for items not in the cart are not read
    assert s.allowances == (
        e.Allowance(overall.pk, overall=3, customer=None),
        e.Allowance(twice.pk, overall=None, customer=1),
    )
    assert sorted(loaded.usages) == [
        UsageRow(own.pk, overall.pk, "final", Decimal("2.40")),
        UsageRow(pending.pk, twice.pk, "pending", Decimal("1.00")),
    ]
    prices = {pl.name: dict(pl.prices) for pl in loaded.rules.price_lists}
    assert sorted(prices["Base CAD"][store.notebook.pk]) == [
        e.PriceTier(1, Decimal("12.00")),
        e.PriceTier(10, Decimal("10.00")),
    ]
    assert prices["Base CAD"][store.pen.pk] == (e.PriceTier(1, Decimal("2.50")),)
    assert store.case.pk not in prices["Base CAD"]
    assert prices["Base USD"] == {}
    # the cached rules stay without entries: each order gets a filled copy
    assert all(not pl.prices for pl in active_rules().price_lists)


def test_a_guest_cart_without_addresses(store, django_assert_num_queries):
    order = store.cart(pen=1)
    order.addresses.all().delete()
    load_order(read_for_pricing(order).facts)
    with django_assert_num_queries(2):
        loaded = load_order(read_for_pricing(order).facts)
    s = loaded.snapshot
    assert (s.customer_id, s.organization_id, s.segment_ids, s.ship_tos) == (
        None,
        None,
        frozenset(),
        (),
    )
    assert [x.ship_to for x in s.lines] == [""]
    assert s.codes == frozenset() and s.adjustments == () and s.allowances == ()
    assert loaded.usages == []


def test_promotion_targets_are_read_for_active_promotions(store):
    from pricing.loader import build_rules

    gold = SegmentFactory()
    bundle = PromotionFactory(
        name="Pens with notebooks",
        reward=m.Reward.BUY_X_GET_Y,
        percent=Decimal("50"),
        buy_quantity=1,
        get_quantity=1,
        skus=[store.notebook],
        categories=[store.notebooks],
        segments=[gold],
    )
    bundle.get_skus.set([store.pen, store.case])
    ship = PromotionFactory(name="Free ground", reward=m.Reward.SHIPPING_FREE, percent=None)
    ship.shipping_methods.set([store.ground])
    PromotionFactory(name="Retired", is_active=False, skus=[store.pen])

    rules = {p.name: p for p in build_rules().promotions}
    assert set(rules) == {"Pens with notebooks", "Free ground"}
    rule = rules["Pens with notebooks"]
    assert (rule.sku_ids, rule.category_ids, rule.segment_ids, rule.get_sku_ids) == (
        {store.notebook.pk},
        {store.notebooks.pk},
        {gold.pk},
        {store.pen.pk, store.case.pk},
    )
    assert rule.shipping_method_ids == frozenset()
    assert rules["Free ground"].shipping_method_ids == {store.ground.pk}
    assert rules["Free ground"].sku_ids == frozenset()


def test_a_rebuilt_rule_is_the_rule_its_row_describes(store):
    """The loader makes rules without the dataclass's __init__ and shares schedules and
    amounts between them: each still equals, field by field, the rule made the usual way."""
    import dataclasses
    from datetime import time

    from pricing.loader import _rules_built, build_rules

    _rules_built.clear()  # nothing of an earlier test's rebuild: rules made here, as they are
    PromotionFactory(name="Ten off", reward=m.Reward.ORDER_FIXED, amount=Decimal("10"))
    PromotionFactory(name="Also ten off", reward=m.Reward.ORDER_FIXED, amount=Decimal("10"))
    PromotionFactory(
        name="Mornings",
        reward=m.Reward.PRODUCT_PERCENT,
        percent=Decimal("15"),
        days_of_week="0,2",
        time_from=time(9),
        time_to=time(12),
        code="early",
        skus=[store.pen],
    )
    for rule in build_rules().promotions:
        values = {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)}
        assert vars(rule) == vars(e.PromotionRule(**values))
        assert rule == e.PromotionRule(**values)
    rules = {p.name: p for p in build_rules().promotions}
    assert rules["Ten off"].amount is rules["Also ten off"].amount  # shared: pickled once
    assert str(rules["Ten off"].amount) == "10.00"
    mornings = rules["Mornings"]
    assert (mornings.code, mornings.schedule.days_of_week, mornings.schedule.time_from) == (
        "EARLY",
        frozenset({0, 2}),
        time(9),
    )
    with pytest.raises(TypeError, match="every field"):
        e.PromotionRule.from_fields({"id": 1, "name": "Half made"})


def test_a_rebuild_makes_anew_only_the_rules_whose_promotion_changed(store):
    """After a rule change the others are taken as the last rebuild made them, with what the
    engine computed on them; a changed row or a changed target makes its rule anew."""
    from pricing.loader import build_rules

    tenth = PromotionFactory(name="Tenth", percent=Decimal("10"), skus=[store.pen])
    fifth = PromotionFactory(name="Fifth", percent=Decimal("20"), skus=[store.pen])
    retired = PromotionFactory(name="Retired soon", percent=Decimal("5"))
    before = {p.name: p for p in build_rules().promotions}

    tenth.percent = Decimal("12")
    tenth.save()
    fifth.skus.add(store.notebook)
    retired.is_active = False
    retired.save()
    after = {p.name: p for p in build_rules().promotions}

    assert set(after) == {"Tenth", "Fifth"}
    assert after["Tenth"] is not before["Tenth"] and after["Tenth"].percent == Decimal("12")
    assert after["Fifth"] is not before["Fifth"]
    assert after["Fifth"].sku_ids == {store.pen.pk, store.notebook.pk}
    assert {p.name: p for p in build_rules().promotions}["Tenth"] is after["Tenth"]


def test_a_rebuild_sees_a_gift_skus_new_code(store):
    """A rule names its gift by the SKU's code, read with the promotion: renaming the SKU
    alone makes the rule anew."""
    from pricing.loader import build_rules

    PromotionFactory(
        name="Case with a notebook",
        reward=m.Reward.PRODUCT_GIFT,
        percent=None,
        skus=[store.notebook],
        gift_sku=store.case,
    )
    assert build_rules().promotions[0].gift_sku_code == "CASE-A5"

    store.case.code = "CASE-A5-NEW"
    store.case.save()

    assert build_rules().promotions[0].gift_sku_code == "CASE-A5-NEW"

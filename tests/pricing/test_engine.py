"""The pure engine: every reward, condition, gate and their combinations. No database."""

import json
from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest

from pricing import engine as e
from tests.pricing.engine_kit import (
    BAG,
    BASE,
    CASE,
    NB,
    NOTEBOOKS,
    PEN,
    applied_names,
    price,
    promo,
    reason_of,
    rules,
    snap,
)

# --- entitled price ------------------------------------------------------------------------


def test_base_price_and_quantity_tier():
    assert price(lines=((NB, 9),)).lines[0].unit_price == D("12.00")
    assert price(lines=((NB, 10),)).lines[0].unit_price == D("10.00")


def test_segment_list_wins_over_base_and_falls_back_per_sku():
    gold = e.PriceListRule(
        2,
        "Gold",
        "CAD",
        kind=e.PriceListKind.SEGMENT,
        segment_id=7,
        prices={NB: (e.PriceTier(1, D("11.00")),)},
    )
    result = price(
        lines=((NB, 1), (PEN, 1)),
        segment_ids=frozenset({7}),
        customer_id=1,
        rules_kw={"price_lists": (BASE, gold)},
    )
    assert [(x.unit_price, x.price_list_id) for x in result.lines] == [
        (D("11.00"), 2),
        (D("2.50"), 1),
    ]
    # not in the segment: base prices
    result = price(lines=((NB, 1),), customer_id=1, rules_kw={"price_lists": (BASE, gold)})
    assert result.lines[0].unit_price == D("12.00")


def test_contract_beats_segment_beats_guest_beats_base():
    def pl(pid, kind, amount, **kw):
        return e.PriceListRule(
            pid,
            kind,
            "CAD",
            kind=e.PriceListKind(kind),
            prices={NB: (e.PriceTier(1, D(amount)),)},
            **kw,
        )

    lists = (
        BASE,
        pl(2, "guest", "13.00"),
        pl(3, "segment", "11.00", segment_id=7),
        pl(4, "contract", "9.00", organization_id=5),
    )
    assert price(rules_kw={"price_lists": lists}).lines[0].unit_price == D("13.00")  # guest
    assert price(rules_kw={"price_lists": lists}, customer_id=1).lines[0].unit_price == D("12.00")
    member = {"customer_id": 1, "segment_ids": frozenset({7})}
    assert price(rules_kw={"price_lists": lists}, **member).lines[0].unit_price == D("11.00")
    assert price(rules_kw={"price_lists": lists}, organization_id=5, **member).lines[
        0
    ].unit_price == D("9.00")


def test_priority_breaks_ties_within_a_kind_and_currency_and_dates_filter():
    cheap = e.PriceListRule(
        2,
        "Cheap",
        "CAD",
        priority=5,
        prices={NB: (e.PriceTier(1, D("5.00")),)},
        ends_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    usd = e.PriceListRule(3, "USD", "USD", priority=1, prices={NB: (e.PriceTier(1, D("7.00")),)})
    later = e.PriceListRule(
        4, "Low prio", "CAD", priority=200, prices={NB: (e.PriceTier(1, D("1.00")),)}
    )
    result = price(rules_kw={"price_lists": (BASE, cheap, usd, later)})
    assert result.lines[0].unit_price == D("12.00")


def test_category_adjustment_over_a_base_list_most_specific_first():
    gold = e.PriceListRule(
        2,
        "Gold",
        "CAD",
        kind=e.PriceListKind.SEGMENT,
        segment_id=7,
        base_list_id=1,
        category_adjustments=(
            e.CategoryAdjustment(NOTEBOOKS, D("-10")),
            e.CategoryAdjustment(1, D("5")),
        ),
    )
    result = price(
        lines=((NB, 1), (PEN, 2)),
        segment_ids=frozenset({7}),
        customer_id=1,
        rules_kw={"price_lists": (BASE, gold)},
    )
    assert [x.unit_price for x in result.lines] == [D("10.80"), D("2.63")]


def test_missing_price_is_zero_with_a_note():
    result = price(lines=((NB, 1),), rules_kw={"price_lists": ()})
    assert result.lines[0].unit_price == 0
    assert "NB-A5 has no CAD price" in result.explanation.notes[0]


# --- product rewards -------------------------------------------------------------------------


def test_percent_off_per_item_on_targeted_items_only():
    result = price(
        promo(1, "product_percent", percent=10, category_ids={NOTEBOOKS}), lines=((NB, 2), (PEN, 2))
    )
    assert [x.discount_total for x in result.lines] == [D("2.40"), D("0")]


def test_percent_off_limited_per_order_takes_the_dearest_items():
    result = price(
        promo(1, "product_percent", percent=50, max_per_order=1), lines=((PEN, 1), (NB, 3))
    )
    assert [x.discount_total for x in result.lines] == [D("0"), D("6.00")]


def test_fixed_off_each_item_never_below_zero():
    result = price(promo(1, "product_fixed_each", amount=3), lines=((NB, 2), (PEN, 2)))
    assert [x.discount_total for x in result.lines] == [D("6.00"), D("5.00")]
    assert all(x.line_total >= 0 for x in result.lines)


def test_fixed_off_all_items_is_spread_exactly():
    result = price(
        promo(1, "product_fixed_all", amount="10.00", category_ids={1}), lines=((NB, 1), (PEN, 3))
    )
    shares = [x.discount_total for x in result.lines]
    assert sum(shares) == D("10.00")
    assert shares == [D("6.15"), D("3.85")]  # 12.00 : 7.50


def test_buy_x_get_y_free_cheapest_same_items():
    # buy 2 get 1 free, 6 pens: 2 bundles, 2 pens free
    result = price(
        promo(1, "buy_x_get_y", buy_quantity=2, get_quantity=1, percent=100, sku_ids={PEN}),
        lines=((PEN, 6),),
    )
    assert result.lines[0].discount_total == D("5.00")


def test_buy_x_get_y_half_price_other_items_and_limit():
    p = promo(
        1,
        "buy_x_get_y",
        buy_quantity=1,
        get_quantity=1,
        percent=50,
        sku_ids={NB},
        get_sku_ids={PEN},
        max_per_order=2,
    )
    result = price(p, lines=((NB, 3), (PEN, 5)))
    assert [x.discount_total for x in result.lines] == [D("0"), D("2.50")]


def test_free_gift_buy_2_notebooks_get_a_case_and_near_miss():
    p = promo(
        1,
        "product_gift",
        category_ids={NOTEBOOKS},
        min_quantity=2,
        gift_sku_id=CASE,
        gift_sku_code="CASE-A5",
        max_per_order=1,
        name="Buy 2 notebooks, get a case",
    )
    got = price(p, lines=((NB, 2),))
    assert [(g.sku_code, g.quantity) for g in got.gifts] == [("CASE-A5", 1)]
    assert got.explanation.applied[0].detail == "Free gift: 1 × CASE-A5"
    lost = price(p, lines=((NB, 1),))
    assert lost.gifts == ()
    assert [n.message for n in lost.explanation.near_misses] == [
        "Add 1 more to get “Buy 2 notebooks, get a case”."
    ]
    assert reason_of(lost, 1) == e.Reason.MINIMUM_NOT_MET


def test_gift_repeats_per_multiple_without_a_per_order_limit():
    p = promo(
        1, "product_gift", sku_ids={NB}, min_quantity=2, gift_sku_id=CASE, gift_sku_code="CASE-A5"
    )
    assert price(p, lines=((NB, 5),)).gifts[0].quantity == 2


# --- order rewards -------------------------------------------------------------------------


def test_order_percent_after_product_promotions_spread_across_lines():
    result = price(
        promo(1, "product_percent", percent=10, sku_ids={NB}),
        promo(2, "order_percent", percent=10),
        lines=((NB, 1), (PEN, 1)),
    )
    # NB 12.00 -1.20 = 10.80; order 10% of 13.30 = 1.33
    assert result.discount_total == D("2.53")
    assert sum(d.amount for x in result.lines for d in x.discounts if d.source_id == 2) == D("1.33")


def test_order_fixed_capped_at_the_goods():
    result = price(promo(1, "order_fixed", amount=100), lines=((PEN, 1),))
    assert result.lines[0].line_total == 0
    assert result.explanation.applied[0].amount == D("2.50")


def test_order_gift_and_minimum_amount_near_miss():
    p = promo(
        1, "order_gift", min_amount=30, gift_sku_id=BAG, gift_sku_code="BAG", name="Bag over 30"
    )
    assert price(p, lines=((NB, 3),)).gifts[0].sku_id == BAG
    miss = price(p, lines=((NB, 2),))
    assert miss.gifts == ()
    assert miss.explanation.near_misses[0].message == "Add 6.00 more for “Bag over 30”."


# --- shipping ------------------------------------------------------------------------------


def test_free_shipping_over_50_and_near_miss():
    p = promo(1, "shipping_free", min_amount=50, name="free shipping")
    assert price(p, lines=((NB, 5),)).shipping_total == 0
    miss = price(p, lines=((NB, 2), (PEN, 2)))  # 29.00
    assert miss.shipping_total == D("8.00")
    assert miss.explanation.near_misses[0].message == "Add 21.00 more for “free shipping”."


def test_shipping_percent_fixed_and_method_filter():
    half = promo(1, "shipping_percent", percent=50, shipping_method_ids={1})
    assert price(half).shipping[0].total == D("4.00")
    other = promo(2, "shipping_fixed", amount=3, shipping_method_ids={2})
    assert price(other).shipping[0].total == D("8.00")


def test_weight_and_value_bands():
    by_weight = e.ShippingRateRule(
        1,
        "Ground",
        "CAD",
        basis=e.ShippingBasis.WEIGHT,
        bands=((D("0"), D("8")), (D("2"), D("12"))),
    )
    assert price(lines=((NB, 3),), rules_kw={"shipping": (by_weight,)}).shipping_total == D("8.00")
    assert price(lines=((NB, 4),), rules_kw={"shipping": (by_weight,)}).shipping_total == D("12.00")
    by_value = e.ShippingRateRule(
        1, "Ground", "CAD", basis=e.ShippingBasis.VALUE, bands=((D("0"), D("9")), (D("50"), D("4")))
    )
    assert price(lines=((NB, 5),), rules_kw={"shipping": (by_value,)}).shipping_total == D("4.00")


def test_no_shipping_method_no_charge():
    assert price(method=None).shipping_total == 0


# --- gates ---------------------------------------------------------------------------------


def test_segment_gate():
    p = promo(1, "order_percent", percent=10, segment_ids={7})
    assert reason_of(price(p), 1) == e.Reason.NOT_IN_SEGMENT
    assert applied_names(price(p, customer_id=1, segment_ids=frozenset({7}))) == ["P1"]


@pytest.mark.parametrize(
    ("schedule", "applies"),
    [
        (e.Schedule(starts_at=datetime(2026, 11, 26, tzinfo=UTC)), False),
        (e.Schedule(ends_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC)), False),
        (e.Schedule(ends_at=datetime(2026, 11, 25, 15, 1, tzinfo=UTC)), True),
        (e.Schedule(days_of_week=frozenset({2})), True),  # Wednesday in Toronto
        (e.Schedule(days_of_week=frozenset({5, 6})), False),
        (e.Schedule(time_from=time(9), time_to=time(11)), True),  # 10:00 Toronto
        (e.Schedule(time_from=time(9), time_to=time(11), time_zone="Europe/Paris"), False),
        (e.Schedule(time_from=time(22), time_to=time(11)), True),  # over midnight
        (e.Schedule(time_from=time(11)), False),
    ],
)
def test_schedule_gate(schedule, applies):
    result = price(promo(1, "order_percent", percent=10, schedule=schedule))
    assert (applied_names(result) == ["P1"]) is applies
    if not applies:
        assert reason_of(result, 1) == e.Reason.OUTSIDE_SCHEDULE


def test_code_gate_and_optional_code():
    p = promo(1, "order_percent", percent=15, code="SPRING15")
    assert reason_of(price(p), 1) == e.Reason.CODE_NOT_ENTERED
    assert applied_names(price(p, codes=frozenset({"SPRING15"}))) == ["P1"]
    optional = promo(2, "order_percent", percent=15, code="HELLO", code_required=False)
    assert applied_names(price(optional)) == ["P2"]


def test_coupon_gate():
    p = promo(1, "order_fixed", amount=5, coupon=True)
    assert reason_of(price(p), 1) == e.Reason.COUPON_NOT_SELECTED
    assert applied_names(price(p, coupon_promotion_ids=frozenset({1}))) == ["P1"]


def test_limits_overall_and_per_customer():
    p = promo(1, "order_percent", percent=10)
    gone = price(p, allowances=(e.Allowance(1, overall=0),))
    assert reason_of(gone, 1) == e.Reason.LIMIT_REACHED
    mine = price(p, customer_id=1, allowances=(e.Allowance(1, overall=5, customer=0),))
    assert reason_of(mine, 1) == e.Reason.LIMIT_REACHED
    assert applied_names(price(p, allowances=(e.Allowance(1, overall=1),))) == ["P1"]


def test_currency_gate_for_fixed_amounts():
    p = promo(1, "order_fixed", amount=5, currency="USD")
    assert reason_of(price(p), 1) == e.Reason.WRONG_CURRENCY


# --- combinations --------------------------------------------------------------------------


def test_exclusive_best_applies_alone():
    excl = promo(1, "order_percent", percent=20, exclusive=True, priority=1, name="VIP")
    other = promo(2, "product_percent", percent=10, priority=5)
    ship = promo(3, "shipping_free", priority=9)
    result = price(excl, other, ship)
    assert applied_names(result) == ["VIP"]
    assert reason_of(result, 2) == e.Reason.EXCLUDED_BY_EXCLUSIVE
    assert reason_of(result, 3) == e.Reason.EXCLUDED_BY_EXCLUSIVE


def test_exclusive_with_lower_priority_is_skipped():
    excl = promo(1, "order_percent", percent=20, exclusive=True, priority=50)
    first = promo(2, "product_percent", percent=10, priority=5)
    result = price(excl, first)
    assert applied_names(result) == ["P2"]
    assert reason_of(result, 1) == e.Reason.EXCLUDED_BY_EXCLUSIVE


def test_exclusive_that_does_not_qualify_does_not_exclude():
    excl = promo(1, "order_percent", percent=20, exclusive=True, priority=1, min_amount=1000)
    other = promo(2, "order_percent", percent=10, priority=5)
    assert applied_names(price(excl, other)) == ["P2"]


def test_stacking_order_product_then_order_then_codes_then_adjustments():
    code = promo(1, "order_fixed", amount=2, code="X", priority=1)
    order = promo(2, "order_percent", percent=10, priority=50)
    product = promo(3, "product_fixed_each", amount=1, priority=99)
    adj = e.Adjustment("a1", e.AdjustmentKind.ORDER_AMOUNT, D("1.00"), reason="Appeasement")
    result = price(
        code, order, product, lines=((NB, 1),), codes=frozenset({"X"}), adjustments=(adj,)
    )
    # 12 -1 (product) = 11; -10% = 9.90; -2 (code) = 7.90; -1 (adjustment) = 6.90
    assert [a.name for a in result.explanation.applied] == [
        "P3",
        "P2",
        "P1",
        "Adjustment: Appeasement",
    ]
    assert result.lines[0].line_total == D("6.90")


def test_order_minimum_rechecked_after_product_discounts():
    product = promo(1, "product_percent", percent=50, priority=1)
    order = promo(2, "order_fixed", amount=5, min_amount=20, priority=2)
    result = price(product, order, lines=((NB, 2),))  # 24 -> 12 after 50 %
    assert applied_names(result) == ["P1"]
    assert reason_of(result, 2) == e.Reason.MINIMUM_NOT_MET


# --- adjustments ---------------------------------------------------------------------------


def test_adjustments_line_percent_amount_and_pending_not_applied():
    adjs = (
        e.Adjustment(1, e.AdjustmentKind.LINE_PERCENT, D("10"), line_id=1),
        e.Adjustment(2, e.AdjustmentKind.LINE_AMOUNT, D("1.00"), line_id=2),
        e.Adjustment(3, e.AdjustmentKind.ORDER_PERCENT, D("50"), approved=False, reason="Big"),
    )
    result = price(lines=((NB, 1), (PEN, 1)), adjustments=adjs)
    assert [x.discount_total for x in result.lines] == [D("1.20"), D("1.00")]
    assert "awaits a supervisor's approval" in result.explanation.notes[0]


def test_shipping_override_after_shipping_promotions():
    adj = e.Adjustment(1, e.AdjustmentKind.SHIPPING_OVERRIDE, D("3.00"), reason="Late")
    result = price(promo(1, "shipping_percent", percent=50), adjustments=(adj,))
    assert result.shipping_total == D("3.00")
    assert [d.amount for d in result.shipping[0].discounts] == [D("4.00"), D("1.00")]


# --- tax and totals ------------------------------------------------------------------------


def test_tax_on_goods_after_discounts_and_on_shipping():
    result = price(promo(1, "order_fixed", amount="2.00"), lines=((NB, 1),))
    assert result.lines[0].tax == D("1.30")  # 13 % of 10.00
    assert result.shipping[0].tax == D("1.04")
    assert result.total == D("10.00") + D("8.00") + D("2.34")


def test_most_specific_tax_rates_apply_and_stack_by_name():
    taxes = (
        e.TaxRateRule("standard", "CA", "", name="GST", rate=D("5")),
        e.TaxRateRule("standard", "CA", "QC", name="GST", rate=D("5")),
        e.TaxRateRule("standard", "CA", "QC", name="QST", rate=D("9.975")),
        e.TaxRateRule("standard", "CA", "ON", name="HST", rate=D("13")),
    )
    qc = price(lines=((NB, 1),), region="QC", method=None, rules_kw={"taxes": taxes})
    assert [(t.name, t.amount) for t in qc.taxes] == [("GST", D("0.60")), ("QST", D("1.20"))]
    ab = price(lines=((NB, 1),), region="AB", method=None, rules_kw={"taxes": taxes})
    assert [(t.name, t.amount) for t in ab.taxes] == [("GST", D("0.60"))]


def test_postal_prefix_is_more_specific():
    taxes = (
        e.TaxRateRule("standard", "CA", "ON", name="HST", rate=D("13")),
        e.TaxRateRule("standard", "CA", "ON", "M5V", name="Special", rate=D("1")),
    )
    result = price(lines=((NB, 1),), method=None, rules_kw={"taxes": taxes})
    assert [t.name for t in result.taxes] == ["Special"]


def test_same_input_same_result_and_json():
    s = snap((NB, 3), (PEN, 2))
    r = rules(promo(1, "order_percent", percent=7))
    assert e.price(s, r) == e.price(s, r)
    data = e.price(s, r).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["total"] == str(e.price(s, r).total)
    line = data["lines"][0]
    assert line["discounts"][0] == {
        "source": "promotion",
        "source_id": 1,
        "name": "P1",
        "amount": "2.52",
    }
    assert (line["line_id"], line["unit_price"], line["price_list_id"]) == (1, "12.00", BASE.id)
    assert data["explanation"]["applied"][0]["amount"] == data["discount_total"]


def test_gift_without_a_minimum_is_one_gift():
    p = promo(1, "product_gift", sku_ids={PEN}, gift_sku_id=CASE, gift_sku_code="CASE-A5")
    assert price(p, lines=((PEN, 7),)).gifts[0].quantity == 1


def test_an_agreed_unit_price_replaces_the_entitled_price():
    from dataclasses import replace

    s = snap((NB, 2), (PEN, 1))
    agreed = replace(s.lines[0], agreed_unit_price=D("31.50"))
    result = e.price(replace(s, lines=(agreed, s.lines[1])), rules())
    assert [(x.unit_price, x.price_list_id) for x in result.lines] == [
        (D("31.50"), None),
        (D("2.50"), 1),
    ]


# --- the garbage collector ------------------------------------------------------------------


def test_pricing_leaves_the_garbage_collector_as_it_found_it(monkeypatch):
    import gc

    from pricing.engine import pipeline

    seen_while_pricing = []
    real_price = pipeline._price

    def spy(*args):
        seen_while_pricing.append(gc.isenabled())
        return real_price(*args)

    monkeypatch.setattr(pipeline, "_price", spy)
    assert gc.isenabled()
    price(promo(1, e.Reward.ORDER_PERCENT, percent=D("10")))
    assert seen_while_pricing == [False] and gc.isenabled()  # paused, then on again
    gc.disable()
    try:
        price()
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
    monkeypatch.setattr(pipeline, "_price", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        price()
    assert gc.isenabled()  # on again after a failure too

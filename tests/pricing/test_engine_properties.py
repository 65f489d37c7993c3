"""Properties of the engine over random carts and promotions (hypothesis)."""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricing import engine as e

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
SKUS = range(1, 7)
CATEGORIES = {1: (10, 1), 2: (10, 1), 3: (20, 1), 4: (20, 1), 5: (30,), 6: (30,)}

money = st.decimals(min_value=Decimal("0"), max_value=Decimal("300"), places=2)
percent = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@st.composite
def price_lists(draw):
    prices = {
        sku: tuple(
            e.PriceTier(q, draw(money))
            for q in draw(
                st.lists(st.sampled_from([1, 5, 10]), min_size=1, max_size=3, unique=True)
            )
        )
        for sku in SKUS
    }
    base = e.PriceListRule(1, "Base", "CAD", prices=prices)
    gold = e.PriceListRule(
        2,
        "Gold",
        "CAD",
        kind=e.PriceListKind.SEGMENT,
        segment_id=7,
        base_list_id=1,
        category_adjustments=(e.CategoryAdjustment(10, -draw(percent)),),
    )
    return (base, gold)


@st.composite
def promotions(draw):
    found = []
    for pid in range(1, draw(st.integers(0, 8)) + 1):
        reward = draw(st.sampled_from(list(e.Reward)))
        targets = draw(st.sampled_from(["all", "sku", "category"]))
        found.append(
            e.PromotionRule(
                id=pid,
                name=f"P{pid}",
                reward=reward,
                priority=draw(st.integers(1, 5)),
                exclusive=draw(st.booleans()) and draw(st.booleans()),
                sku_ids=frozenset(draw(st.sets(st.sampled_from(list(SKUS)), max_size=3)))
                if targets == "sku"
                else frozenset(),
                category_ids=frozenset({draw(st.sampled_from([1, 10, 20, 30]))})
                if targets == "category"
                else frozenset(),
                min_quantity=draw(st.integers(0, 4)),
                min_amount=draw(st.sampled_from([Decimal("0"), Decimal("25"), Decimal("100")])),
                percent=draw(percent),
                amount=draw(money),
                buy_quantity=draw(st.integers(1, 3)),
                get_quantity=draw(st.integers(1, 2)),
                get_sku_ids=frozenset(draw(st.sets(st.sampled_from(list(SKUS)), max_size=2))),
                gift_sku_id=6,
                gift_sku_code="GIFT",
                max_per_order=draw(st.none() | st.integers(1, 3)),
                code="C" if draw(st.booleans()) and draw(st.booleans()) else "",
            )
        )
    return tuple(found)


@st.composite
def snapshots(draw):
    lines = tuple(
        e.CartLine(
            i + 1,
            sku,
            f"SKU{sku}",
            draw(st.integers(1, 20)),
            CATEGORIES[sku],
            Decimal("0.3"),
            ship_to=draw(st.sampled_from(["a", "b"])),
        )
        for i, sku in enumerate(draw(st.lists(st.sampled_from(list(SKUS)), min_size=1, max_size=8)))
    )
    adjustments = []
    for n, kind in enumerate(draw(st.lists(st.sampled_from(list(e.AdjustmentKind)), max_size=3))):
        value = draw(percent) if "percent" in kind else draw(money)
        adjustments.append(
            e.Adjustment(
                f"a{n}", kind, value, reason="r", line_id=draw(st.sampled_from(lines)).line_id
            )
        )
    member = draw(st.booleans())
    return e.Snapshot(
        currency="CAD",
        now=NOW,
        lines=lines,
        customer_id=1 if member else None,
        segment_ids=frozenset({7}) if member else frozenset(),
        codes=frozenset({"C"}) if draw(st.booleans()) else frozenset(),
        adjustments=tuple(adjustments),
        ship_tos=(e.ShipTo("a", 1, "CA", "ON", "M5V"), e.ShipTo("b", 2, "CA", "QC", "H2X")),
    )


RATES = (
    e.ShippingRateRule(1, "Ground", "CAD", amount=Decimal("8.00")),
    e.ShippingRateRule(
        2,
        "Express",
        "CAD",
        basis=e.ShippingBasis.VALUE,
        bands=((Decimal(0), Decimal("18")), (Decimal(100), Decimal("9"))),
    ),
)
TAXES = (
    e.TaxRateRule("standard", "CA", "ON", name="HST", rate=Decimal("13")),
    e.TaxRateRule("shipping", "CA", "ON", name="HST", rate=Decimal("13")),
    e.TaxRateRule("standard", "CA", "QC", name="GST", rate=Decimal("5")),
    e.TaxRateRule("standard", "CA", "QC", name="QST", rate=Decimal("9.975")),
)


def make_rules(lists, promos):
    return e.Rules(price_lists=lists, promotions=promos, shipping_rates=RATES, tax_rates=TAXES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(), price_lists(), promotions())
def test_totals_add_up_and_nothing_goes_below_zero(snapshot, lists, promos):
    result = e.price(snapshot, make_rules(lists, promos))
    assert result.subtotal == sum(x.subtotal for x in result.lines)
    assert result.discount_total == sum(x.discount_total for x in result.lines)
    assert result.shipping_total == sum(s.total for s in result.shipping)
    assert result.tax_total == sum(x.tax for x in result.lines) + sum(
        s.tax for s in result.shipping
    )
    assert result.tax_total == sum(t.amount for t in result.taxes)
    assert result.total == (
        result.subtotal - result.discount_total + result.shipping_total + result.tax_total
    )
    for line in result.lines:
        # no line below zero, no discount above what it discounts
        assert line.line_total >= 0
        assert 0 <= line.discount_total <= line.subtotal
        assert line.line_total == line.subtotal - sum(d.amount for d in line.discounts)
        assert all(d.amount > 0 for d in line.discounts)
        assert line.tax >= 0
    for charge in result.shipping:
        assert charge.total >= 0
        promo_cut = sum(d.amount for d in charge.discounts if d.source == "promotion")
        assert 0 <= promo_cut <= charge.charge
    for value in (result.subtotal, result.discount_total, result.total, result.tax_total):
        assert value == value.quantize(Decimal("0.01"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(), price_lists(), promotions())
def test_shares_add_up_exactly_to_each_discount(snapshot, lists, promos):
    result = e.price(snapshot, make_rules(lists, promos))
    per_source = defaultdict(Decimal)
    for line in result.lines:
        for d in line.discounts:
            per_source[(d.source, d.source_id)] += d.amount
    for charge in result.shipping:
        for d in charge.discounts:
            per_source[(d.source, d.source_id)] += d.amount
    applied = defaultdict(Decimal)
    for a in result.explanation.applied:
        applied[(a.source, a.source_id)] += a.amount
    assert {k: v for k, v in applied.items() if v} == {k: v for k, v in per_source.items() if v}


@settings(max_examples=80, deadline=None)
@given(snapshots(), price_lists(), promotions(), st.randoms(use_true_random=False))
def test_same_input_same_result_whatever_the_rule_order(snapshot, lists, promos, rnd):
    first = e.price(snapshot, make_rules(lists, promos))
    shuffled = list(promos)
    rnd.shuffle(shuffled)
    assert e.price(snapshot, make_rules(lists, tuple(shuffled))) == first
    assert e.price(snapshot, make_rules(lists, promos)) == first


@settings(max_examples=100, deadline=None)
@given(snapshots(), price_lists())
def test_a_promotion_never_raises_the_goods_total(snapshot, lists):
    without = e.price(snapshot, make_rules(lists, ()))
    with_one = e.price(
        snapshot,
        make_rules(
            lists, (e.PromotionRule(1, "10%", e.Reward.ORDER_PERCENT, percent=Decimal(10)),)
        ),
    )
    goods = sum(x.line_total for x in with_one.lines)
    assert goods <= sum(x.line_total for x in without.lines)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2),
    st.lists(
        st.decimals(min_value=Decimal("0"), max_value=Decimal("999"), places=2),
        min_size=1,
        max_size=12,
    ),
)
def test_fast_shares_are_core_money_distribute(total, weights):
    from core.money import distribute

    # as strings: the same exponents too, which the written amounts and the detail show
    shares = [str(share) for share in e.spread_shares(total, weights, "CAD")]
    assert shares == [str(share) for share in distribute(total, weights, "CAD")]


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2),
    st.lists(
        st.decimals(min_value=Decimal("0"), max_value=Decimal("999"), places=2)
        | st.just(Decimal("0")),
        min_size=1,
        max_size=12,
    ),
)
def test_a_zero_weight_gets_no_share_and_changes_no_other(total, weights):
    """The cart spreads an amount over the lines with something left only (an emptied line
    would take nothing): that is the same as spreading it over every line."""
    live = [w for w in weights if w]
    if not live:
        return
    total = min(total, sum(live))
    shares = e.spread_shares(total, weights, "CAD")
    assert [s for s, w in zip(shares, weights, strict=True) if not w] == [0] * (
        len(weights) - len(live)
    )
    assert [s for s, w in zip(shares, weights, strict=True) if w] == e.spread_shares(
        total, live, "CAD"
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(money, min_size=1, max_size=8),
    st.lists(st.tuples(st.sampled_from(["take", "spread"]), money, st.integers(0, 7)), max_size=12),
)
def test_each_spread_gives_the_lines_what_core_money_distribute_gives(grosses, steps):
    """Cart.spread keeps the lines' nets in minor units from one spread to the next (a line
    discounted meanwhile is read again): each spread's shares are still those of
    core.money.distribute over the nets the lines had just before."""
    from core.money import distribute
    from pricing.engine.cart import Cart, Line

    lines = [
        Line(e.CartLine(n, n, f"SKU-{n}", 1, (10, 1), Decimal("0")), gross, None, "CAD")
        for n, gross in enumerate(grosses, start=1)
    ]
    rules = e.Rules(price_lists=(), promotions=(), shipping_rates=(), tax_rates=())
    snapshot = e.Snapshot(currency="CAD", now=NOW, lines=tuple(x.src for x in lines))
    cart = Cart(snapshot, lines, rules)
    for step, (kind, amount, at) in enumerate(steps):
        if kind == "take":
            lines[at % len(lines)].take("adjustment", step, "Taken", amount)
            continue
        nets = [x.net for x in lines]
        spread = cart.spread(lines, amount, "promotion", step, "Spread")
        if not spread:
            continue
        expected = distribute(spread, [net for net in nets if net], "CAD")
        taken = {  # a line whose share is zero took nothing: its last discount is older
            x.src.line_id: x.discounts[-1].amount
            for x in lines
            if x.discounts and x.discounts[-1].source_id == step
        }
        shares = [
            taken.get(x.src.line_id, Decimal("0"))
            for x, net in zip(lines, nets, strict=True)
            if net
        ]
        assert shares == expected and [str(s) for s in shares if s] == [
            str(s) for s in expected if s
        ]
        assert sum(x.net for x in lines) == sum(nets) - spread == cart.total.net

"""Builders for pure engine tests (no database)."""

from datetime import UTC, datetime
from decimal import Decimal as D

from pricing import engine as e

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Toronto
NOTEBOOKS, PENS, STATIONERY = 10, 20, 1
NB, PEN, CASE, BAG = 1, 2, 3, 4

BASE = e.PriceListRule(
    id=1,
    name="Base",
    currency="CAD",
    prices={
        NB: (e.PriceTier(1, D("12.00")), e.PriceTier(10, D("10.00"))),
        PEN: (e.PriceTier(1, D("2.50")),),
        CASE: (e.PriceTier(1, D("15.00")),),
        BAG: (e.PriceTier(1, D("40.00")),),
    },
)
GROUND = e.ShippingRateRule(1, "Ground", "CAD", amount=D("8.00"))
HST = (
    e.TaxRateRule("standard", "CA", "ON", name="HST", rate=D("13")),
    e.TaxRateRule("shipping", "CA", "ON", name="HST", rate=D("13")),
)
CATS = {
    NB: (NOTEBOOKS, STATIONERY),
    PEN: (PENS, STATIONERY),
    CASE: (NOTEBOOKS, STATIONERY),
    BAG: (99,),
}
CODES = {NB: "NB-A5", PEN: "PEN-BLK", CASE: "CASE-A5", BAG: "BAG"}


def rules(*promotions, price_lists=(BASE,), shipping=(GROUND,), taxes=HST):
    return e.Rules(
        price_lists=tuple(price_lists),
        promotions=tuple(promotions),
        shipping_rates=tuple(shipping),
        tax_rates=tuple(taxes),
    )


def snap(*lines, method=1, region="ON", **kw):
    """lines: (sku_id, qty) pairs."""
    cart = tuple(
        e.CartLine(i + 1, sku, CODES[sku], qty, CATS[sku], D("0.5"), ship_to="a")
        for i, (sku, qty) in enumerate(lines)
    )
    kw.setdefault("now", NOW)
    kw.setdefault("ship_tos", (e.ShipTo("a", method, "CA", region, "M5V1A1"),))
    return e.Snapshot(currency=kw.pop("currency", "CAD"), lines=cart, **kw)


def promo(pid, reward, **kw):
    kw.setdefault("name", f"P{pid}")
    for key in ("sku_ids", "category_ids", "segment_ids", "get_sku_ids", "shipping_method_ids"):
        if key in kw:
            kw[key] = frozenset(kw[key])
    for key in ("percent", "amount", "min_amount"):
        if key in kw:
            kw[key] = D(str(kw[key]))
    return e.PromotionRule(id=pid, reward=e.Reward(reward), **kw)


def price(*promotions, lines=((NB, 1),), rules_kw=None, **snap_kw):
    return e.price(snap(*lines, **snap_kw), rules(*promotions, **(rules_kw or {})))


def applied_names(result):
    return [a.name for a in result.explanation.applied]


def reason_of(result, pid):
    return next(n.reason for n in result.explanation.not_applied if n.promotion_id == pid)

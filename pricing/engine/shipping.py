"""Stage 6: shipping charges per ship-to, shipping promotions (one strategy per reward), and
the CSR's shipping override."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from core.money import ZERO
from pricing.engine.cart import Cart, Findings, Line
from pricing.engine.money import HUNDRED, quantize, spread_shares
from pricing.engine.result import Applied, Discount, NotApplied, ShippingCharge
from pricing.engine.rules import PromotionRule, Reason, Reward, Rules, ShippingRateRule
from pricing.engine.snapshot import Adjustment, Snapshot


@dataclass
class _Charge:
    """One ship-to's charge while the promotions and the override cut it."""

    key: str
    method_id: int | None
    name: str = ""
    charge: Decimal = ZERO
    discounts: list[Discount] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.charge - sum((d.amount for d in self.discounts), ZERO)

    def frozen(self) -> ShippingCharge:
        return ShippingCharge(
            ship_to=self.key,
            method_id=self.method_id,
            method_name=self.name,
            charge=self.charge,
            discounts=tuple(self.discounts),
            total=self.remaining,
            tax=ZERO,
        )


# What a shipping promotion cuts from a charge's remaining amount, per reward.
SHIPPING_CUTS: dict[Reward, Callable[[PromotionRule, Decimal, str], Decimal]] = {
    Reward.SHIPPING_FREE: lambda p, remaining, cur: remaining,
    Reward.SHIPPING_PERCENT: lambda p, remaining, cur: quantize(
        remaining * p.percent / HUNDRED, cur
    ),
    Reward.SHIPPING_FIXED: lambda p, remaining, cur: min(quantize(p.amount, cur), remaining),
}


def shipping(
    s: Snapshot,
    rules: Rules,
    cart: Cart,
    promotions: list[PromotionRule],
    overrides: list[Adjustment],
    found: Findings,
) -> list[ShippingCharge]:
    """The charges, cut by the shipping promotions, then set by the overrides; explained."""
    charges = _charges(s, rules, cart)
    for p in promotions:
        _cut(p, charges, s.currency)
    for adj in overrides:
        _override(adj, charges, s.currency)
    frozen = [c.frozen() for c in charges]
    _explain(frozen, promotions, found)
    return frozen


def _charges(s: Snapshot, rules: Rules, cart: Cart) -> list[_Charge]:
    groups: dict[str, list[Line]] = {}
    for line in cart.lines:
        groups.setdefault(line.src.ship_to, []).append(line)
    ship_tos = {st.key: st for st in s.ship_tos}
    charges = []
    for key, group_lines in groups.items():
        st = ship_tos.get(key)
        method_id = st.method_id if st else None
        rate = rate_for(rules, method_id, s.currency, st.country if st else "")
        if rate is None:
            charges.append(_Charge(key, method_id))
            continue
        weight = sum((x.src.weight_kg * x.src.quantity for x in group_lines), ZERO)
        value = cart.amount(group_lines)
        charge = quantize(rate.charge(weight, value), s.currency)
        charges.append(_Charge(key, method_id, rate.method_name, charge))
    return charges


def _cut(p: PromotionRule, charges: list[_Charge], cur: str) -> None:
    """A shipping promotion cuts the remaining charge of each group it covers."""
    for c in charges:
        if p.shipping_method_ids and c.method_id not in p.shipping_method_ids:
            continue
        remaining = c.remaining
        if remaining <= 0:
            continue
        cut = SHIPPING_CUTS[p.reward](p, remaining, cur)
        if cut > 0:
            c.discounts.append(Discount("promotion", p.id, p.name, cut))


def _override(adj: Adjustment, charges: list[_Charge], cur: str) -> None:
    """The CSR's shipping override: the amount becomes the shipping charge of its ship-to (or
    of the whole order, shared by the current charges)."""
    name = f"Shipping override: {adj.reason}" if adj.reason else "Shipping override"
    targets = [c for c in charges if adj.ship_to is None or c.key == adj.ship_to]
    if not targets:
        return
    currents = [c.remaining for c in targets]
    wanted = quantize(adj.value, cur)
    if sum(currents, ZERO) > 0:
        news = spread_shares(wanted, currents, cur)
    else:
        news = spread_shares(wanted, [Decimal(1)] * len(targets), cur)
    for c, current, new in zip(targets, currents, news, strict=True):
        # a negative "discount" is a surcharge: the override raised the charge
        c.discounts.append(Discount("adjustment", adj.id, name, current - new))


def _explain(charges: list[ShippingCharge], promotions: list[PromotionRule], found: Findings):
    for charge in charges:
        for d in charge.discounts:
            if d.source == "promotion" and d.source_id not in found.used:
                found.used.append(d.source_id)
    by_source: dict[tuple[str, object], list[Discount]] = {}
    for charge in charges:
        for d in charge.discounts:
            by_source.setdefault((d.source, d.source_id), []).append(d)
    for (source, sid), ds in by_source.items():
        found.applied.append(
            Applied(source, sid, ds[0].name, sum((d.amount for d in ds), ZERO), "shipping")
        )
    for p in promotions:
        if ("promotion", p.id) not in by_source:
            found.not_applied.append(
                NotApplied(p.id, p.name, Reason.NOTHING_TO_DISCOUNT, "No shipping charge to cut.")
            )


def rate_for(rules: Rules, method_id, currency: str, country: str) -> ShippingRateRule | None:
    if method_id is None:
        return None
    best = None
    for rate in rules.rates_by_method.get(method_id, ()):
        if rate.currency != currency or (rate.country and rate.country != country):
            continue
        if best is None or (rate.country and not best.country):
            best = rate
    return best

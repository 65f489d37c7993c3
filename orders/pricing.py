"""Orders' side of pricing: orders describes the order to pricing from its own rows, and writes
the priced result back onto them (line prices, gift lines, totals, the pricing detail).

Pricing reads and writes only its own tables (rules, codes, coupons, adjustments, usage): a
reprice is one read of the order's lines and ship-tos here, one read of pricing's rows there,
and then only the writes that change something.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, CharField, DecimalField, IntegerField, Value
from django.utils import timezone

from core.bulk import update_rows_statement
from core.db import CompiledQuery, Statement
from core.money import ZERO
from orders import allocation, price_lock
from orders import integrations as ext
from orders.models import LineInventoryStatus, Order, OrderAddress, OrderLine, OrderStatus
from pricing.engine import CartLine, PricedOrder, ShipTo, jsonable
from pricing.loader import OrderFacts, category_path_ids, rules_version
from pricing.services import OrderAmounts

TOTAL_FIELDS = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")


class LineRow(NamedTuple):
    """An order line as pricing needs it (values, not a model instance: four models per line
    would cost more than the engine)."""

    pk: int
    sku_id: int
    quantity: int
    ship_to_id: int | None
    is_gift: bool
    unit_price: Decimal
    discount_total: Decimal
    line_total: Decimal
    sku_code: str
    weight_kg: Decimal | None
    tax_code: str | None
    category_id: int
    category_path: str | None
    agreed_unit_price: Decimal | None


@dataclass(frozen=True)
class RepriceChanges:
    """What one reprice wrote, so that a screen can redraw only that (`order.reprice_changes`
    after `reprice_order`): the lines whose price or discount names changed, whether gift lines
    came, went or changed, whether a quote's price lock stood, and the goods lines' SKUs.
    `prices`: each changed line's unit price, discount and line total as written; `renamed`:
    the lines among them whose discount names changed (an order promotion's new share on every
    line keeps their names)."""

    prices: dict[int, tuple[Decimal, Decimal, Decimal]]
    renamed: frozenset[int]
    gifts_changed: bool
    price_locked: bool
    ship_to_count: int
    sku_by_line: dict[int, int]


@dataclass
class PricingRead:
    """What `read_for_pricing` found: the facts pricing gets, and the lines to write back to."""

    facts: OrderFacts
    lines: list[LineRow]  # the non-gift lines, in the facts' order
    gift_lines: list[LineRow]
    quote_id: int | None  # the cart's open quote, whose prices stand (orders/quotes)


_LINE, _SHIP_TO, _QUOTE = 1, 2, 3


def _rows_query(order_id: int, now):
    """The order's lines (with their SKU's code, weight, tax code and category), its ship-to
    addresses and its open quote (if any, as of `now`) in one UNION ALL, lines first, each by
    id. An address row fills the line columns it shares a type with: (id, shipping method,
    country, region, postal code); a quote row only its id."""
    lines = (
        OrderLine.objects.filter(order_id=order_id)
        .exclude(inventory_status=LineInventoryStatus.CANCELED)  # a canceled line is not sold
        .annotate(part=Value(_LINE))
        .order_by()
        .values_list(
            "part",
            "id",
            "sku_id",
            "quantity",
            "ship_to_id",
            "is_gift",
            "unit_price",
            "discount_total",
            "line_total",
            "sku__code",
            "sku__weight_kg",
            "sku__product__tax_code",
            "sku__product__category_id",
            "sku__product__category__path",
            "agreed_unit_price",
        )
    )
    no_int, no_money = Value(None, IntegerField()), Value(None, DecimalField())
    ship_tos = (
        OrderAddress.objects.filter(order_id=order_id, kind=OrderAddress.Kind.SHIPPING)
        .annotate(
            part=Value(_SHIP_TO),
            no_quantity=no_int,
            no_ship_to=no_int,
            no_gift=Value(None, BooleanField()),
            no_unit_price=no_money,
            no_discount=no_money,
            no_total=no_money,
            no_weight=no_money,
            no_category=no_int,
            no_agreed=no_money,
        )
        .order_by()
        .values_list(
            "part",
            "id",
            "shipping_method_id",
            "no_quantity",
            "no_ship_to",
            "no_gift",
            "no_unit_price",
            "no_discount",
            "no_total",
            "country",
            "no_weight",
            "region",
            "no_category",
            "postal_code",
            "no_agreed",
        )
    )
    no_text = Value(None, CharField())
    quote = (
        price_lock.live_quotes(order_id, now)
        .annotate(
            part=Value(_QUOTE),
            **{f"no_{n}": no_int for n in ("sku", "quantity", "ship_to", "category")},
            no_gift=Value(None, BooleanField()),
            **{f"no_{n}": no_money for n in ("price", "discount", "total", "weight", "agreed")},
            **{f"no_{n}": no_text for n in ("code", "tax", "path")},
        )
        .order_by()
        .values_list(
            "part",
            "id",
            "no_sku",
            "no_quantity",
            "no_ship_to",
            "no_gift",
            "no_price",
            "no_discount",
            "no_total",
            "no_code",
            "no_weight",
            "no_tax",
            "no_category",
            "no_path",
            "no_agreed",
        )
    )
    return lines.union(ship_tos, quote, all=True).order_by("part", "id")


_rows = CompiledQuery(_rows_query, int, dt.datetime)


def read_for_pricing(order: Order, now=None) -> PricingRead:
    """Describe the order to pricing: its lines and ship-tos, read in one query (with the id of
    its open quote as of `now`). Lines without a ship-to of their own go to the order's current
    one, else its first."""
    lines: list[LineRow] = []
    ship_tos: list[ShipTo] = []
    quote_id = None
    for part, *values in _rows.rows(order.pk, now or timezone.now()):
        if part == _LINE:
            lines.append(LineRow(*values))
        elif part == _QUOTE:
            quote_id = values[0]
        else:
            key, method_id, _, _, _, _, _, _, country, _, region, _, postal_code, _ = values
            ship_tos.append(
                ShipTo(
                    key=str(key),
                    method_id=method_id,
                    country=country or "",
                    region=(region or "").strip().upper(),
                    postal_code=(postal_code or "").replace(" ", "").upper(),
                )
            )
    keys = [st.key for st in ship_tos]
    current = str(order.current_ship_to_id or "")
    default_key = current if current in keys else (keys[0] if keys else "")
    goods = [x for x in lines if not x.is_gift]
    facts = OrderFacts(
        order_id=order.pk,
        currency=order.currency,
        customer_id=order.customer_id,
        is_cart=order.status == OrderStatus.PENDING,
        lines=tuple(
            CartLine(
                line_id=x.pk,
                sku_id=x.sku_id,
                sku_code=x.sku_code,
                quantity=x.quantity,
                category_ids=category_path_ids(x.category_path, x.category_id),
                weight_kg=x.weight_kg or ZERO,
                tax_code=x.tax_code or "standard",
                ship_to=str(x.ship_to_id) if x.ship_to_id else default_key,
                agreed_unit_price=x.agreed_unit_price,
            )
            for x in goods
        ),
        ship_tos=tuple(ship_tos),
    )
    return PricingRead(facts, goods, [x for x in lines if x.is_gift], quote_id)


# No savepoint of its own (two round trips on every cart change): it is atomic on its own, and
# inside a caller's transaction a failure rolls back with that transaction (no caller catches
# and goes on).
@transaction.atomic(savepoint=False)
def reprice_order(
    *,
    order: Order,
    actor=None,
    now=None,
    read: PricingRead | None = None,
    allocate: Sequence[OrderLine] = (),
    with_writes: Sequence[Statement | None] = (),
) -> PricedOrder:
    """Price the order (pricing keeps its promotion usage in step) and write the result onto
    it: line prices, free-gift lines (added or removed), totals and the pricing detail.
    `with_writes`: the caller's own writes of orders' rows (the event of the change that led
    here), sent with the result in one round trip.
    `read`: the order as `read_for_pricing` just read it, in the caller's transaction under
    the order's row lock (submit checks the lines it read before pricing them).
    `allocate`: cart lines the caller added or changed, allocated with the gift lines this
    reprice adds, in one pass: their stock rows are locked in one ordered statement, as a
    submit locks them. Locked one after the other (the line's, then its gift's), they could
    deadlock with a submit holding both.

    Returns the priced result; its `explanation` says what applied, what did not and why,
    and what almost applied."""
    if read is None:
        read = read_for_pricing(order, now)
    old_names = (order.pricing_detail or {}).get("lines", {})
    written = _ResultWritten(order, read, with_writes)
    priced = ext.reprice_order(order=read.facts, now=now, also_write=written.statements)
    if allocate or written.new_gifts:
        allocation.allocate_cart_lines(lines=[*allocate, *written.new_gifts], actor=actor)
    new_names = order.pricing_detail["lines"]
    # An open quote's cart keeps the quoted prices until the quote expires (orders/quotes).
    locked = read.quote_id is not None and price_lock.apply_price_lock(order, now) is not None
    renamed = frozenset(
        x.pk for x in read.lines if old_names.get(str(x.pk)) != new_names.get(str(x.pk))
    )
    changed = written.repriced | renamed
    order.reprice_changes = RepriceChanges(
        prices={
            p.line_id: (p.unit_price, p.discount_total, p.line_total)
            for p in priced.lines
            if p.line_id in changed
        },
        renamed=renamed,
        gifts_changed=written.gifts_changed,
        price_locked=locked,
        ship_to_count=len(read.facts.ship_tos),
        sku_by_line={x.pk: x.sku_id for x in read.lines},
    )
    return priced


@dataclass
class _ResultWritten:
    """What `reprice_order` writes of the priced result onto the order's rows."""

    order: Order
    read: PricingRead
    with_writes: Sequence[Statement | None]
    gifts_changed: bool = False
    new_gifts: list[OrderLine] = field(default_factory=list)
    repriced: set[int] = field(default_factory=set)  # the lines whose price moved

    def statements(self, priced: PricedOrder) -> list[Statement | None]:
        """Pricing's `also_write`: the gift lines written now (added or removed: rare), then
        the UPDATEs of the repriced lines and of the order's totals, with the caller's writes,
        which pricing sends with its promotion usage in one round trip."""
        self.gifts_changed, self.new_gifts, gift_rows = _write_gifts(self.order, self.read, priced)
        lines, self.repriced = _lines_statement(self.read, priced, gift_rows)
        return [lines, _totals_statement(self.order, priced), *self.with_writes]


def finalize_pricing(
    *,
    order: Order,
    actor,
    hold_pending_adjustments: bool = False,
    read: PricingRead | None = None,
    priced: PricedOrder | None = None,
):
    """At submit: pricing makes the promotion usage final and consumes the coupons used.
    `read` and `priced`: the order as submit read and priced it under its row lock, the total
    the card was authorized for (pricing makes that result's promotions final rather than
    pricing the order again)."""
    return ext.finalize_order_pricing(
        order=(read or read_for_pricing(order)).facts,
        actor=actor,
        hold_pending_adjustments=hold_pending_adjustments,
        priced=priced,
    )


def settle_change_pricing(*, order: Order, priced: PricedOrder, actor) -> None:
    """A placed order's change was repriced (`priced`, as of its submit time): pricing makes
    the promotions it newly earns final (PricingChanged if a limit ran out meanwhile) and gives
    back those it no longer earns, with their coupons."""
    ext.settle_changed_usage(
        order=read_for_pricing(order).facts, priced=priced, now=order.submitted_at, actor=actor
    )


def release_pricing(*, order: Order, actor) -> None:
    """On cancel: pricing releases the promotion usage and returns the coupons."""
    ext.release_order_pricing(order_id=order.pk, actor=actor)


def amounts_of(order: Order, line: OrderLine | None = None) -> OrderAmounts:
    """The order's amounts as last priced, which an adjustment's money effect is measured
    against (`line`: the line a line adjustment is on)."""
    return OrderAmounts(
        order_id=order.pk,
        currency=order.currency,
        goods=order.subtotal - order.discount_total,
        shipping=order.shipping_total,
        line_id=line.pk if line is not None else None,
        line_total=line.line_total if line is not None else ZERO,
    )


def pricing_detail(priced: PricedOrder) -> dict:
    """What the screens show of the priced result: the explanation, shipping, taxes and the
    discounts' names per line (not the whole result: a big cart has thousands of discounts)."""
    return {
        "explanation": jsonable(priced.explanation),
        "shipping": jsonable(priced.shipping),
        "taxes": jsonable(priced.taxes),
        "lines": {str(line.line_id): [d.name for d in line.discounts] for line in priced.lines},
        "rules_version": rules_version(),
    }


def pricing_is_stale(order: Order) -> bool:
    """Whether a cart's prices may have moved since it was last priced: a rule changed since
    (the rules version), or it was priced longer ago than CART_REPRICE_AFTER_SECONDS, in which
    a schedule may have started or ended, a coupon expired or a limit been reached elsewhere.
    Every cart write reprices and moves `modified_at`."""
    if (order.pricing_detail or {}).get("rules_version") != rules_version():
        return True
    age = (timezone.now() - order.modified_at).total_seconds()
    return age > settings.CART_REPRICE_AFTER_SECONDS


def what_changed(before: dict, after: dict) -> list[str]:
    """What moved between two pricing details of an order, one sentence each: discounts that
    stopped applying (with pricing's reason), started applying, or changed amount."""

    def applied(detail):
        amounts: dict[str, Decimal] = {}
        for a in (detail.get("explanation") or {}).get("applied", []):
            amounts[a["name"]] = amounts.get(a["name"], ZERO) + Decimal(str(a["amount"]))
        return amounts

    old, new = applied(before), applied(after)
    why = {n["name"]: n["message"] for n in (after.get("explanation") or {}).get("not_applied", [])}
    changes = [f"{name}: {why.get(name, 'no longer applies.')}" for name in old if name not in new]
    changes += [f"{name}: now applies (−{new[name]})." for name in new if name not in old]
    changes += [
        f"{name}: −{new[name]} instead of −{old[name]}."
        for name in new
        if name in old and new[name] != old[name]
    ]
    return changes


def _lines_statement(
    read: PricingRead, priced: PricedOrder, gift_rows: list[tuple]
) -> tuple[Statement | None, set[int]]:
    """The UPDATE of the lines whose price moved, with the gift lines `_write_gifts` changed
    (None: nothing to write), and the ids of the lines repriced."""
    by_id = {p.line_id: p for p in priced.lines}
    changed = []
    for line in read.lines:
        p = by_id[line.pk]
        new = (p.unit_price, p.discount_total, p.line_total)
        if (line.unit_price, line.discount_total, line.line_total) != new:
            changed.append((line.pk, line.quantity, *new))
    fields = ["quantity", "unit_price", "discount_total", "line_total"]
    repriced = {row[0] for row in changed}
    return update_rows_statement(OrderLine, fields, changed + gift_rows), repriced


def _write_gifts(
    order: Order, read: PricingRead, priced: PricedOrder
) -> tuple[bool, list[OrderLine], list[tuple]]:
    """Gift lines follow the promotions pricing says the order earns: added when earned,
    removed (and deallocated) when no longer earned. Returns whether any changed, the lines
    added (for the caller to allocate) and the rows of those whose quantity or price is to be
    set (pk, quantity, unit price, discount, total: written with the repriced lines)."""
    changed, added, rows = False, [], []
    wanted: dict[int, list] = {}
    for gift in priced.gifts:
        entry = wanted.setdefault(gift.sku_id, [0, gift.ship_to])
        entry[0] += gift.quantity
    existing = {}
    for row in read.gift_lines:
        if row.sku_id in existing or row.sku_id not in wanted:
            allocation.delete_lines(line_ids=[row.pk])
            changed = True
            continue
        existing[row.sku_id] = row
    for sku_id, (quantity, ship_to) in wanted.items():
        row = existing.get(sku_id)
        if row is None:
            added.append(
                OrderLine.objects.create(
                    order_id=order.pk,
                    sku_id=sku_id,
                    quantity=quantity,
                    ship_to_id=int(ship_to) if ship_to else None,
                    is_gift=True,
                    unit_price=ZERO,
                    discount_total=ZERO,
                    line_total=ZERO,
                )
            )
            changed = True
        elif row.quantity != quantity or row.unit_price or row.line_total:
            rows.append((row.pk, quantity, ZERO, ZERO, ZERO))
            changed = True
    return changed, added, rows


def _totals_statement(order: Order, priced: PricedOrder) -> Statement | None:
    """The UPDATE of the totals and the pricing detail that changed (the detail is tens of KB
    on a big cart), set on `order` too; None when none did."""
    values = {name: getattr(priced, name) for name in TOTAL_FIELDS}
    values["pricing_detail"] = pricing_detail(priced)
    changed = {k: v for k, v in values.items() if getattr(order, k) != v}
    for k, v in values.items():
        setattr(order, k, v)
    if not changed:
        return None
    return update_rows_statement(Order, list(changed), [(order.pk, *changed.values())])

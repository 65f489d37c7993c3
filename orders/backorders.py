"""Move an order's backorders to a new order for the same customer (a "separate order").

Orders creates the new order, its addresses, lines and payment, and writes the prices; inventory
moves what the lines wait for (fulfillment/inventory/allocation.py: `move_waiting`).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from core.errors import DomainError
from core.events import EventType
from core.money import distribute
from core.permissions import require
from core.roles import Perm
from fulfillment.inventory import allocation as inventory
from fulfillment.inventory import selectors as inventory_selectors
from orders import events
from orders import pricing as order_pricing
from orders.allocation import lock_lines, orders_follow
from orders.models import LineInventoryStatus as L
from orders.models import Order, OrderAddress, OrderLine, OrderPayment
from orders.models import OrderStatus as S


def _reprice(order: Order, actor) -> None:
    order_pricing.reprice_order(order=order, actor=actor)


ORDER_FIELDS_NOT_COPIED = {
    "id",
    "number",
    "status",
    "version",
    "subtotal",
    "discount_total",
    "shipping_total",
    "tax_total",
    "total",
    "created_at",
    "modified_at",
    "submitted_at",
}


@transaction.atomic
def move_backorders_to_new_order(*, order, actor):  # noqa: PLR0915 (complexity debt, listed in docs/architecture.md)
    """Move the backordered part of every line to a new order for the same customer, with the
    same addresses and payment; both orders are audited. A cart's two parts are repriced; a
    placed order's keep the prices they were sold at (`_carry_prices`)."""
    require(actor, Perm.USE_DESK, "move backorders to a separate order")
    source = Order.objects.select_for_update().get(pk=order.pk)
    if source.status not in (S.PENDING, S.SUBMITTED, S.AUTHORIZED, S.BACKORDERED, S.PAYMENT_REVIEW):
        raise DomainError(
            f"This order is {source.get_status_display().lower()}; its backorders cannot move."
        )
    lines = lock_lines(order=source, inventory_status=L.BACKORDERED)
    if not lines:
        raise DomainError("This order has no backordered lines to move.")
    on_hand_of = inventory_selectors.on_hand_by_line(line_ids=[line.pk for line in lines])

    values = {
        f.attname: getattr(source, f.attname)
        for f in Order._meta.concrete_fields
        if f.name not in ORDER_FIELDS_NOT_COPIED
    }
    target = Order(**values)
    target.status = S.PENDING if source.status == S.PENDING else S.BACKORDERED
    if source.number:
        target.number = _split_number(source.number)
    if source.status != S.PENDING:
        target.submitted_at = source.submitted_at
    target.save()
    address_map: dict[int, int] = {}
    for address in OrderAddress.objects.filter(order=source):
        old_pk = address.pk
        address.pk = None
        address.id = None
        address.order = target
        address.save()
        address_map[old_pk] = address.pk
    if target.current_ship_to_id:
        target.current_ship_to_id = address_map.get(target.current_ship_to_id)
        target.save(update_fields=["current_ship_to"])
    _copy_current_payment(source, target)

    moved = []
    for line in lines:
        # a kit moves whole, with everything it holds
        on_hand = 0 if line.sku.kind == "kit" else on_hand_of.get(line.pk, 0)
        waiting_qty = line.quantity - on_hand
        new_ship_to = address_map.get(line.ship_to_id) if line.ship_to_id else None
        if on_hand == 0:
            OrderLine.objects.filter(pk=line.pk).update(order=target, ship_to_id=new_ship_to)
            moved.append(
                {
                    "line": line.pk,
                    "new_line": line.pk,
                    "sku": line.sku_id,
                    "quantity": line.quantity,
                }
            )
            continue
        # The line's discount splits with its quantity, so both parts keep the price sold at.
        kept_discount, moved_discount = distribute(
            line.discount_total,
            [line.unit_price * on_hand, line.unit_price * waiting_qty],
            source.currency,
        )
        new_line = OrderLine.objects.create(
            order=target,
            sku_id=line.sku_id,
            quantity=waiting_qty,
            ship_to_id=new_ship_to,
            is_gift=line.is_gift,
            unit_price=line.unit_price,
            discount_total=moved_discount,
            line_total=line.unit_price * waiting_qty - moved_discount,
            inventory_status=L.BACKORDERED,
        )
        inventory.move_waiting(from_line_id=line.pk, to_line_id=new_line.pk)
        OrderLine.objects.filter(pk=line.pk).update(
            quantity=on_hand,
            inventory_status=L.ALLOCATED,
            discount_total=kept_discount,
            line_total=line.unit_price * on_hand - kept_discount,
        )
        moved.append(
            {"line": line.pk, "new_line": new_line.pk, "sku": line.sku_id, "quantity": waiting_qty}
        )

    if source.status == S.PENDING:  # still a cart: both carts are priced afresh
        _reprice(source, actor)
        _reprice(target, actor)
    else:
        _carry_prices(source, target, moved)
    Order.objects.filter(pk=source.pk).update(version=F("version") + 1)
    events.record_many(
        [
            (source.pk, EventType.BACKORDERS_MOVED_OUT, {"to_order": target.pk, "lines": moved}),
            (target.pk, EventType.BACKORDERS_MOVED_IN, {"from_order": source.pk, "lines": moved}),
        ],
        actor,
    )
    if source.status == S.BACKORDERED:
        orders_follow(order_ids=[source.pk], actor=actor)
    target.refresh_from_db()
    return target


def _carry_prices(source, target, moved: list[dict]) -> None:
    """After submit the backorders move at the prices they were sold at, not repriced: the
    customer was quoted (and the card authorized for) the whole order. Lines keep their
    prices and discounts; the shipping charge stays with the source; the tax splits in
    proportion to the goods; the promotion uses stay with the source, counted once."""
    detail = source.pricing_detail or {}
    taxes = detail.get("taxes") or []
    kept_goods, moved_goods = _goods(source), _goods(target)
    tax_kept, tax_moved = distribute(
        source.tax_total, [kept_goods[2], moved_goods[2]], source.currency
    )
    moved_taxes = _split_taxes(taxes, tax_moved, source.currency)
    kept_taxes = [
        {**t, "amount": str(Decimal(str(t["amount"])) - Decimal(m["amount"]))}
        for t, m in zip(taxes, moved_taxes, strict=True)
    ]
    old_lines = detail.get("lines") or {}
    _write_carried(
        source,
        kept_goods,
        shipping=source.shipping_total,
        tax=tax_kept,
        detail={**detail, "taxes": kept_taxes},
        note=f"Backorders moved to order {target.number or target.pk} at the prices sold at.",
    )
    _write_carried(
        target,
        moved_goods,
        shipping=Decimal("0"),
        tax=tax_moved,
        detail={
            "explanation": {},
            "shipping": [],
            "taxes": moved_taxes,
            "lines": {str(m["new_line"]): old_lines.get(str(m["line"]), []) for m in moved},
        },
        note=f"The backorders of order {source.number or source.pk}, at the prices sold at.",
    )


def _goods(order) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, discounts, net) of the order's lines as they stand."""
    rows = OrderLine.objects.filter(order=order).values_list(
        "unit_price", "quantity", "discount_total", "line_total"
    )
    zero = Decimal("0")
    return (
        sum((price * qty for price, qty, _, _ in rows), zero),
        sum((discount for _, _, discount, _ in rows), zero),
        sum((net for _, _, _, net in rows), zero),
    )


def _write_carried(order, goods, *, shipping, tax, detail: dict, note: str) -> None:
    gross, discount, _net = goods
    explanation = dict(detail.get("explanation") or {})
    explanation["notes"] = [*(explanation.get("notes") or []), note]
    Order.objects.filter(pk=order.pk).update(
        subtotal=gross,
        discount_total=discount,
        shipping_total=shipping,
        tax_total=tax,
        total=gross - discount + shipping + tax,
        pricing_detail={**detail, "explanation": explanation},
    )


def _split_taxes(taxes: list[dict], amount: Decimal, currency: str) -> list[dict]:
    """The moved part's tax lines: `amount` spread over the source's tax lines by size."""
    if not taxes:
        return []
    shares = distribute(amount, [Decimal(str(t["amount"])) for t in taxes], currency)
    return [{**t, "amount": str(share)} for t, share in zip(taxes, shares, strict=True)]


def _copy_current_payment(source, target) -> None:
    """The new order pays with the same card: a copy of the current payment, to be authorized
    when the backorders ship (the source's authorization stays with the source)."""
    current = (
        OrderPayment.objects.filter(order=source)
        .exclude(status__in=["replaced", "voided", "declined", "error"])
        .order_by("-id")
        .first()
    )
    if current is None:
        return
    current.pk = None
    current.id = None
    current.order = target
    current.status = "selected"
    current.authorization_id = ""
    current.avs_code = ""
    current.reason = ""
    current.amount = 0
    current.save()


def _split_number(number: str) -> str:
    n = 1
    while Order.objects.filter(number=f"{number}-B{n}").exists():
        n += 1
    return f"{number}-B{n}"

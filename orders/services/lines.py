"""Order lines: add, change, remove; a parked cart reopened (its allocation refreshed)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from catalog.models import SKU, compact_code, normalize_code
from core.db import CompiledQuery, retry_on_deadlock
from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders import allocation
from orders import integrations as ext
from orders import pricing as order_pricing
from orders.models import (
    LineInventoryStatus,
    Order,
    OrderAddress,
    OrderLine,
    OrderStatus,
)
from orders.services._common import MAX_QUANTITY, _claim, _event, _line, _quantity, _reprice

# --- lines -----------------------------------------------------------------------------------


_SKU_FIELDS = [field.attname for field in SKU._meta.concrete_fields]


def _skus_by(field: str) -> CompiledQuery:
    """Up to two SKUs whose `field` is the argument, with `buyable` (so `is_buyable` needs no
    query). Compiled once: with the one rule of buyable (a join and a subquery), compiling
    took two thirds of every add line's search for its SKU."""
    return CompiledQuery(
        lambda value, now: (
            SKU.objects.with_buyable(now)
            .filter(**{field: value})
            .order_by("pk")
            .values_list(*_SKU_FIELDS, "buyable")[:2]
        ),
        str,
        dt.datetime,
    )


_SKUS_BY_CODE, _SKUS_BY_COMPACT_CODE = _skus_by("code"), _skus_by("code_compact")


def _sku(row: tuple) -> SKU:
    sku = SKU.from_db(None, _SKU_FIELDS, row[:-1])
    sku.buyable = row[-1]
    return sku


def _find_sku(sku_code: str) -> SKU:
    code = (sku_code or "").strip()
    if not code:
        raise DomainError("Type a SKU or part of a name, then pick an item.", field="sku")
    now = timezone.now()
    # Codes are stored upper case (catalog.models.normalize_code): the exact match uses the
    # unique index. Else the code typed without its separators ('nbblka5'), if only one
    # SKU's code reads so.
    rows = _SKUS_BY_CODE.rows(normalize_code(code), now)
    if not rows:
        rows = _SKUS_BY_COMPACT_CODE.rows(compact_code(code), now)
    sku = _sku(rows[0]) if len(rows) == 1 else None
    if sku is None:
        raise NotFound(
            f"No SKU {code!r}; type part of the name and pick from the suggestions.", field="sku"
        )
    return sku


@transaction.atomic
def cart_reopen(*, actor, order: Order) -> list[str]:
    """A CSR (or an API client) opens a cart: lines whose stock was swept, or whose allocation
    no longer fits the line, are allocated again, and prices that may have moved since it was
    last priced are priced again; returns what changed, one sentence each."""
    require(actor, Perm.USE_DESK, "open carts")
    changes = allocation.refresh_cart_allocation(order=order, actor=actor)
    if order.status == OrderStatus.PENDING and order_pricing.pricing_is_stale(order):
        changes += _reprice_on_open(order, actor)
    return changes


def _reprice_on_open(order: Order, actor) -> list[str]:
    locked = _claim(order, None)  # the row lock, as any cart write; the screen reads it after
    before, old_total = locked.pricing_detail or {}, locked.total
    _reprice(locked, actor)
    if locked.total == old_total:
        return []
    changes = order_pricing.what_changed(before, locked.pricing_detail or {})
    _event(
        locked,
        E.ORDER_REPRICED_ON_OPEN,
        actor,
        old=str(old_total),
        new=str(locked.total),
        changes=changes,
    )
    return [
        f"Prices changed since this cart was last priced: the total is now {locked.total} "
        f"{locked.currency} (was {old_total}). " + " ".join(changes)
    ]


@retry_on_deadlock
@transaction.atomic
def line_add(
    *,
    actor,
    order: Order,
    sku_code: str,
    quantity=1,
    ship_to_id=None,
    version=None,
    agreed_unit_price=None,
) -> OrderLine:
    """Add a SKU (by code) to the cart, or add to the quantity of its line for that ship-to.
    Returns the line, with `is_new` (whether it was added rather than grown) and its fresh
    order on `line.order` (which carries `reprice_changes`).

    `agreed_unit_price`: a price agreed outside the price lists (an auction's winning price,
    auctions.closing); such a line is its own line, never merged with a priced one."""
    require(actor, Perm.USE_DESK, "change orders")
    qty = _quantity(quantity)
    sku = _find_sku(sku_code)
    try:
        if not ext.is_buyable(sku):
            ext.ensure_buyable(sku)  # raises with the reason a CSR can repeat
            raise DomainError(f"{sku.code} cannot be sold now; pick another item.")
    except DomainError as exc:
        exc.field = exc.field or "sku"
        raise
    order = _claim(order, version)
    ship_to = ship_to_id or order.current_ship_to_id
    if ship_to_id and not OrderAddress.objects.filter(order=order, pk=ship_to).exists():
        raise NotFound("That ship-to address is not on this order.", field="ship_to")
    line = OrderLine.objects.filter(
        order=order,
        sku=sku,
        ship_to_id=ship_to,
        is_gift=False,
        agreed_unit_price=agreed_unit_price,
    ).first()
    if line is not None:
        old = line.quantity
        if old + qty > MAX_QUANTITY:
            raise DomainError(f"The quantity can be at most {MAX_QUANTITY}.", field="quantity")
        line.quantity = old + qty
        line.save(update_fields=["quantity"])
        change = {"sku": sku.code, "old": old, "new": line.quantity}
        event = (order.pk, E.ORDER_LINE_CHANGED, change)
        line.is_new = False
    else:
        line = OrderLine.objects.create(
            order=order,
            sku=sku,
            quantity=qty,
            ship_to_id=ship_to,
            agreed_unit_price=agreed_unit_price,
        )
        event = (order.pk, E.ORDER_LINE_ADDED, {"sku": sku.code, "quantity": qty, "line": line.pk})
        line.is_new = True
    line.sku = sku
    # the line is allocated with any gift it earns; its event is written with the prices
    _reprice(order, actor, allocate=[line], events_before=[event])
    line.order = order
    return line


@retry_on_deadlock
@transaction.atomic
def line_update(
    *, actor, order: Order, line_id, quantity=None, ship_to_id=None, version=None
) -> OrderLine:
    """Change a line's quantity or ship-to. Returns the line, with `was_backordered` (as it was
    before) and its fresh order on `line.order`."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    line = _line(order, line_id)
    if line.is_gift:
        raise DomainError("A free gift follows its promotion; change the qualifying items.")
    line.was_backordered = line.inventory_status == LineInventoryStatus.BACKORDERED
    changes = {}
    if quantity is not None:
        qty = _quantity(quantity)
        if qty != line.quantity:
            changes["quantity"] = (line.quantity, qty)
            line.quantity = qty
    if ship_to_id is not None and int(ship_to_id) != line.ship_to_id:
        if not OrderAddress.objects.filter(order=order, pk=ship_to_id).exists():
            raise NotFound("That ship-to address is not on this order.", field="ship_to")
        changes["ship_to"] = (line.ship_to_id, int(ship_to_id))
        line.ship_to_id = int(ship_to_id)
    if changes:
        line.save(update_fields=["quantity", "ship_to"])
        _event(
            order,
            E.ORDER_LINE_CHANGED,
            actor,
            sku=line.sku.code,
            line=line.pk,
            old={k: v[0] for k, v in changes.items()},
            new={k: v[1] for k, v in changes.items()},
        )
        if "ship_to" in changes:
            allocation.deallocate_line(line=line, actor=actor)
        _reprice(order, actor, allocate=[line])  # the line is allocated with any gift it earns
    line.order = order
    return line


@transaction.atomic
def line_remove(*, actor, order: Order, line_id, version=None) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    line = _line(order, line_id)
    if line.is_gift:
        raise DomainError("A free gift follows its promotion; change the qualifying items.")
    allocation.deallocate_line(line=line, actor=actor)
    _event(
        order, E.ORDER_LINE_REMOVED, actor, sku=line.sku.code, quantity=line.quantity, line=line.pk
    )
    line.delete()
    _reprice(order, actor)
    return order

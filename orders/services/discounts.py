"""Promotion codes, coupons and CSR adjustments on a cart (pricing decides; orders reprices)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders import integrations as ext
from orders import pricing as order_pricing
from orders.models import (
    Order,
    OrderLine,
)
from orders.services._common import _claim, _event, _line, _reprice
from orders.services.lines import line_add

# --- adjustments, codes, comments, ATP --------------------------------------------------------


@transaction.atomic
def promotion_code_enter(*, actor, order: Order, code: str, version=None) -> str:
    """Put the code the caller quoted on the cart. Returns why its promotion does not apply to
    the cart now ("" when it does): the code stays on the cart (it may apply after a change),
    and the CSR tells the caller the reason rather than "applied"."""
    require(actor, Perm.USE_DESK, "change orders")
    code = (code or "").strip()
    if not code:
        raise DomainError("Type the promotion code the customer gave you.", field="code")
    order = _claim(order, version)
    entered = ext.enter_promotion_code(
        order_id=order.pk, customer_id=order.customer_id, code=code, actor=actor
    )
    _event(order, E.ORDER_PROMOTION_CODE_ENTERED, actor, code=code)
    priced = _reprice(order, actor)
    refused = [
        n.message for n in priced.explanation.not_applied if n.promotion_id == entered.promotion_id
    ]
    return refused[0] if refused else ""


@transaction.atomic
def promotion_code_remove(*, actor, order: Order, code: str, version=None) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.remove_promotion_code(order_id=order.pk, code=code, actor=actor)
    _event(order, E.ORDER_PROMOTION_CODE_REMOVED, actor, code=code)
    _reprice(order, actor)
    return order


@transaction.atomic
def coupon_redeem(*, actor, order: Order, coupon_id, version=None) -> Order:
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.redeem_coupon(
        order_id=order.pk, customer_id=order.customer_id, coupon_id=coupon_id, actor=actor
    )
    _event(order, E.ORDER_COUPON_REDEEMED, actor, coupon=coupon_id)
    _reprice(order, actor)
    return order


@transaction.atomic
def coupon_remove(*, actor, order: Order, coupon_id, version=None) -> Order:
    """Take a coupon off the cart: it goes back to the customer's wallet."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.remove_coupon(order_id=order.pk, coupon_id=coupon_id, actor=actor)
    _event(order, E.ORDER_COUPON_REMOVED, actor, coupon=coupon_id)
    _reprice(order, actor)
    return order


@transaction.atomic
def adjustment_remove(*, actor, order: Order, adjustment_id, version=None) -> Order:
    """Remove a CSR adjustment from the cart (pricing refuses once the order is placed)."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    ext.remove_adjustment(order_id=order.pk, adjustment_id=adjustment_id, actor=actor)
    _event(order, E.ORDER_ADJUSTMENT_REMOVED, actor, adjustment=adjustment_id)
    _reprice(order, actor)
    return order


@transaction.atomic
def adjustment_add(
    *,
    actor,
    order: Order,
    kind: str,
    value,
    reason_code: str,
    comment: str = "",
    line_id=None,
    supervisor_username: str = "",
    supervisor_password: str = "",
    version=None,
) -> object:
    """A CSR adjustment through pricing (role limits and on-the-spot supervisor approval live
    there). Over the CSR's limit without a supervisor, it waits in the approval queue."""
    require(actor, Perm.USE_DESK, "change orders")
    order = _claim(order, version)
    line = _line(order, line_id) if line_id else None
    adjustment = ext.add_adjustment(
        order=order_pricing.amounts_of(order, line),
        actor=actor,
        kind=kind,
        value=value,
        reason_code=reason_code,
        comment=comment or "",
        supervisor_username=supervisor_username or "",
        supervisor_password=supervisor_password or "",
    )
    _event(
        order,
        E.ORDER_ADJUSTMENT_ADDED,
        actor,
        kind=kind,
        value=str(value),
        reason=reason_code,
        line=line_id,
        status=adjustment.status,
        approved_by=supervisor_username or None,
    )
    _reprice(order, actor)
    return adjustment


@transaction.atomic
def adjustment_approve(*, actor, adjustment_id) -> object:
    """A supervisor approves an adjustment from the approval queue (pricing checks their limit
    against the order's amounts now); the order is repriced with it."""
    require(actor, Perm.SUPERVISE, "approve price adjustments")
    adjustment = ext.adjustment(adjustment_id=adjustment_id)
    if adjustment is None:
        raise NotFound("This adjustment does not exist.")
    order = Order.objects.select_for_update().get(pk=adjustment.order_id)
    line = None
    if adjustment.line_id is not None:
        line = OrderLine.objects.filter(order=order, pk=adjustment.line_id).first()
    adjustment = ext.approve_adjustment(
        adjustment_id=adjustment.pk, order=order_pricing.amounts_of(order, line), actor=actor
    )
    _reprice(order, actor)
    return adjustment


@dataclass(frozen=True)
class ItemBoxEntry:
    """What the item box did: added `line` (its fresh order on `order`), or entered the
    promotion `code`, with why it does not apply now (`refusal`, "" when it does)."""

    line: OrderLine | None = None
    code: str = ""
    refusal: str = ""

    @property
    def order(self) -> Order | None:
        return self.line.order if self.line is not None else None


def item_box_enter(*, actor, order: Order, text: str, quantity, version=None) -> ItemBoxEntry:
    """The order screen's one box: an item (its code, or text only it matches) with its
    quantity, or else the promotion code the caller quoted. An item's code wins over a
    promotion's; text that is neither is refused as an unknown item."""
    try:
        line = line_add(actor=actor, order=order, sku_code=text, quantity=quantity, version=version)
    except NotFound:
        if not ext.is_promotion_code(text):
            raise
    else:
        return ItemBoxEntry(line=line)
    refusal = promotion_code_enter(actor=actor, order=order, code=text, version=version)
    return ItemBoxEntry(code=text.strip().upper(), refusal=refusal)

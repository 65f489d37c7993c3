"""CSR price adjustments: role limits, on-the-spot supervisor approval, the approval queue.

They change what is attached to the order; orders reprices right after (approving one too:
`orders.services.adjustment_approve`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, NotAllowed, NotFound
from core.events import EventType as E
from core.middleware import current_request
from core.money import ZERO, quantize
from core.permissions import require
from core.roles import Perm
from pricing import models as m
from pricing.services.events import event


@dataclass(frozen=True)
class OrderAmounts:
    """An order's amounts as orders last wrote them, which an adjustment's money effect is
    measured against; orders builds it."""

    order_id: int
    currency: str
    goods: Decimal  # the subtotal less discounts
    shipping: Decimal
    line_id: int | None = None  # the line a line adjustment is on
    line_total: Decimal = ZERO


def adjustment_limit_for(user) -> tuple[bool, Decimal | None, Decimal | None]:
    """(may adjust at all, max percent, max amount) from the user's roles; None = unlimited.

    The most generous of the user's groups counts. No AdjustmentLimit row for any of the
    user's groups: supervisors are unlimited, everybody else needs approval for any amount.
    """
    rows = list(m.AdjustmentLimit.objects.filter(group__in=user.groups.all()))
    if not rows:
        if user.has_perm(Perm.SUPERVISE):
            return True, None, None
        return False, ZERO, ZERO
    percent: Decimal | None = ZERO
    amount: Decimal | None = ZERO
    for row in rows:
        if row.max_percent is None:
            percent = None
        elif percent is not None:
            percent = max(percent, row.max_percent)
        if row.max_amount is None:
            amount = None
        elif amount is not None:
            amount = max(amount, row.max_amount)
    return True, percent, amount


PERCENT_KINDS = (m.OrderAdjustment.Kind.ORDER_PERCENT, m.OrderAdjustment.Kind.LINE_PERCENT)


def percent_given(kind: str, value: Decimal, effect: Decimal, base: Decimal) -> Decimal:
    """What the adjustment gives away as a percentage of what it applies to (the goods, the
    line or the shipping charge): its own value for a percentage, else its money effect."""
    if kind in PERCENT_KINDS:
        return value
    if base <= 0:
        return Decimal(100) if effect > 0 else ZERO
    return effect * 100 / base


def within_limit(user, percent: Decimal, effect: Decimal) -> bool:
    """Both of the user's limits hold, whatever the kind: the money given away and the
    percentage it is of what it applies to."""
    allowed, max_percent, max_amount = adjustment_limit_for(user)
    if not allowed:
        return False
    return (max_amount is None or effect <= max_amount) and (
        max_percent is None or percent <= max_percent
    )


def _within_limit(user, kind: str, value: Decimal, effect: Decimal, order: OrderAmounts) -> bool:
    return within_limit(user, percent_given(kind, value, effect, _base(order, kind)), effect)


def _base(order: OrderAmounts, kind: str) -> Decimal:
    K = m.OrderAdjustment.Kind
    if kind in (K.LINE_AMOUNT, K.LINE_PERCENT):
        return order.line_total
    if kind == K.SHIPPING_OVERRIDE:
        return order.shipping
    return order.goods


def _money_effect(order: OrderAmounts, kind: str, value: Decimal) -> Decimal:
    """How much the adjustment gives away, at today's prices."""
    K = m.OrderAdjustment.Kind
    cur = order.currency
    if kind == K.ORDER_PERCENT:
        return quantize(order.goods * value / 100, cur)
    if kind == K.LINE_PERCENT:
        return quantize(order.line_total * value / 100, cur)
    if kind == K.SHIPPING_OVERRIDE:
        return max(quantize(order.shipping - value, cur), ZERO)
    return quantize(value, cur)


def _supervisor(username: str, password: str):
    # With the request, django-axes counts a wrong password as a failed login and refuses a
    # locked-out supervisor name or address.
    user = authenticate(current_request(), username=username, password=password)
    if user is None or not user.is_active:
        raise NotAllowed("Those supervisor credentials are not valid.", field="supervisor")
    if not user.has_perm(Perm.SUPERVISE):
        raise NotAllowed(f"{username} is not a supervisor.", field="supervisor")
    return user


def _check_choices(kind: str, reason_code: str, comment: str) -> None:
    if kind not in m.OrderAdjustment.Kind.values:
        raise DomainError("Choose what to adjust.", field="kind")
    if reason_code not in m.OrderAdjustment.ReasonCode.values:
        raise DomainError("Choose a reason code.", field="reason_code")
    if reason_code == m.OrderAdjustment.ReasonCode.OTHER and not comment.strip():
        raise DomainError("Say why in the comment when the reason is “Other”.", field="comment")


def _checked_value(kind: str, value, order: OrderAmounts) -> Decimal:
    """The adjustment's value in the order's currency, refused when it makes no sense."""
    K = m.OrderAdjustment.Kind
    try:
        value = quantize(Decimal(str(value)), order.currency)
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("Enter the amount as a number, e.g. 10.00.", field="value") from None
    if value < 0:
        raise DomainError("The amount must not be negative.", field="value")
    if kind != K.SHIPPING_OVERRIDE and value == 0:
        raise DomainError("The amount must be more than 0.", field="value")
    if kind in (K.ORDER_PERCENT, K.LINE_PERCENT) and value > 100:
        raise DomainError("A percentage cannot be over 100.", field="value")
    return value


def _checked_line(kind: str, value: Decimal, order: OrderAmounts) -> int | None:
    """The line a line adjustment is on (None for the others)."""
    K = m.OrderAdjustment.Kind
    if kind not in (K.LINE_AMOUNT, K.LINE_PERCENT):
        return None
    if order.line_id is None:
        raise DomainError("Choose the line to adjust.", field="line")
    if kind == K.LINE_AMOUNT and value > order.line_total:
        raise DomainError(
            f"The line is {order.line_total}; the adjustment cannot be more.", field="value"
        )
    return order.line_id


def _approver(actor, kind: str, value: Decimal, effect: Decimal, order: OrderAmounts, login):
    """Who approves it now: the actor within their limit, else the supervisor whose
    credentials (`login`: username, password) were given; None: it waits for approval."""
    if _within_limit(actor, kind, value, effect, order):
        return actor
    username, password = login
    if not username:
        return None
    supervisor = _supervisor(username, password)
    if not _within_limit(supervisor, kind, value, effect, order):
        raise NotAllowed(
            f"{username}'s own limit does not cover this adjustment.", field="supervisor"
        )
    return supervisor


@transaction.atomic
def add_adjustment(
    *,
    order: OrderAmounts,
    actor,
    kind: str,
    value,
    reason_code: str,
    comment: str = "",
    supervisor_username: str = "",
    supervisor_password: str = "",
) -> m.OrderAdjustment:
    """A CSR price adjustment: an amount or percentage off the order or a line, or an amount
    that becomes the shipping charge, with a reason code and a comment.

    Within the actor's role limit it applies at once. Over it, it needs a supervisor: with
    their credentials given now it applies approved by them; without, it is saved as awaiting
    approval (shown in the approval queue) and does not apply until approved. Never silently.
    Call `reprice_order` afterwards.
    """
    require(actor, Perm.USE_DESK, "adjust order prices")
    _check_choices(kind, reason_code, comment)
    value = _checked_value(kind, value, order)
    line_id = _checked_line(kind, value, order)
    effect = _money_effect(order, kind, value)
    approver = _approver(
        actor, kind, value, effect, order, (supervisor_username, supervisor_password)
    )
    status = m.OrderAdjustment.Status.APPROVED if approver else m.OrderAdjustment.Status.PENDING
    adjustment = m.OrderAdjustment.objects.create(
        order_id=order.order_id,
        line_id=line_id,
        kind=kind,
        value=value,
        reason_code=reason_code,
        comment=comment.strip(),
        status=status,
        requested_by=actor,
        approved_by=approver,
        decided_at=timezone.now() if approver else None,
    )
    event(
        E.ADJUSTMENT_ADDED if approver else E.ADJUSTMENT_REQUESTED,
        actor,
        order_id=order.order_id,
        subject=str(adjustment),
        adjustment=adjustment.pk,
        kind=kind,
        value=str(value),
        effect=str(effect),
        reason=reason_code,
        comment=adjustment.comment,
        approved_by=approver.get_username() if approver else None,
        status=status,
    )
    return adjustment


@transaction.atomic
def approve_adjustment(*, adjustment_id: int, order: OrderAmounts, actor) -> m.OrderAdjustment:
    """A supervisor approves a pending adjustment from the queue, measured against the order's
    amounts now (orders reprices the order right after)."""
    require(actor, Perm.SUPERVISE, "approve price adjustments")
    adj = m.OrderAdjustment.objects.select_for_update().get(pk=adjustment_id)
    if adj.status != m.OrderAdjustment.Status.PENDING:
        raise DomainError(f"This adjustment is already {adj.get_status_display().lower()}.")
    effect = _money_effect(order, adj.kind, adj.value)
    if not _within_limit(actor, adj.kind, adj.value, effect, order):
        raise NotAllowed("Your own adjustment limit does not cover this adjustment.")
    adj.status, adj.approved_by, adj.decided_at = (
        m.OrderAdjustment.Status.APPROVED,
        actor,
        timezone.now(),
    )
    adj.save(update_fields=["status", "approved_by", "decided_at"])
    event(
        E.ADJUSTMENT_APPROVED,
        actor,
        order_id=adj.order_id,
        subject=str(adj),
        adjustment=adj.pk,
        old="pending",
        new="approved",
    )
    return adj


@transaction.atomic
def reject_adjustment(*, adjustment_id: int, actor, comment: str = "") -> m.OrderAdjustment:
    """A supervisor rejects a pending adjustment: it never applied, so the price stays."""
    require(actor, Perm.SUPERVISE, "reject price adjustments")
    adj = m.OrderAdjustment.objects.select_for_update().get(pk=adjustment_id)
    if adj.status != m.OrderAdjustment.Status.PENDING:
        raise DomainError(f"This adjustment is already {adj.get_status_display().lower()}.")
    adj.status, adj.approved_by, adj.decided_at = (
        m.OrderAdjustment.Status.REJECTED,
        actor,
        timezone.now(),
    )
    adj.save(update_fields=["status", "approved_by", "decided_at"])
    event(
        E.ADJUSTMENT_REJECTED,
        actor,
        order_id=adj.order_id,
        subject=str(adj),
        adjustment=adj.pk,
        old="pending",
        new="rejected",
        comment=comment,
    )
    return adj


@transaction.atomic
def remove_adjustment(*, order_id: int, adjustment_id, actor) -> None:
    """Take a CSR adjustment off a cart (orders asks only while the order is a cart)."""
    require(actor, Perm.USE_DESK, "remove price adjustments")
    adjustment = (
        m.OrderAdjustment.objects.select_for_update()
        .filter(pk=adjustment_id, order_id=order_id)
        .first()
    )
    if adjustment is None:
        raise NotFound("That adjustment is not on this order.", field="adjustment")
    event(
        E.ADJUSTMENT_REMOVED,
        actor,
        order_id=order_id,
        subject=str(adjustment),
        adjustment=adjustment.pk,
        old=str(adjustment.value),
    )
    adjustment.delete()

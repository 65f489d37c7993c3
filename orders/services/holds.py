"""Typed holds: a reason an order may not be released, with who or what placed it.

An order with an open hold is never released: the release job's selectors skip it
(`orders.selectors.releasable_order_ids` / `lock_releasable_orders`). Holds are placed by a
CSR or supervisor (manual), by submit (payment review on an AVS mismatch, a business account's
order over its credit limit, a fraud score over the threshold) or by a change after submit (a
new card with an AVS mismatch, a total raised over the account's credit limit). Supervisors
release a hold or cancel the order from the review queue; every action is an order event.

The fraud rule is pluggable: `settings.ORDERS_FRAUD_RULE` names a callable taking the order and
its addresses (as submit read them) and returning a `FraudScore`; `default_fraud_rule` is a
simple points rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from orders import events, selectors
from orders import integrations as ext
from orders.models import HoldType, Order, OrderAddress, OrderHold
from orders.models import OrderStatus as S
from orders.payment_capture import set_payment_status
from orders.services.after_submit import cancel_order

# Orders that a hold can still stop: placed, not yet (wholly) released, shipped or canceled.
HOLDABLE_STATES = (S.SUBMITTED, S.AUTHORIZED, S.PAYMENT_REVIEW, S.BACKORDERED)
FRAUD_THRESHOLD_DEFAULT = 60


@dataclass(frozen=True)
class FraudScore:
    score: int
    reasons: tuple[str, ...] = ()


def default_fraud_rule(order: Order, addresses: Iterable[OrderAddress]) -> FraudScore:
    """Points for what often goes with fraud on phone orders: a big total, a guest, a ship-to
    in another postal code than the billing address. Deterministic, no outside service."""
    points, reasons = 0, []
    big = Decimal(str(getattr(settings, "ORDERS_FRAUD_BIG_TOTAL", "2000")))
    if order.total >= big:
        points += 40
        reasons.append(f"total {order.total} {order.currency} is {big} or more")
    if order.customer_id is None:
        points += 20
        reasons.append("guest order")
    postal_codes = [(a.kind, a.postal_code.replace(" ", "").upper()) for a in addresses]
    billing = {p for k, p in postal_codes if k == OrderAddress.Kind.BILLING}
    shipping = {p for k, p in postal_codes if k == OrderAddress.Kind.SHIPPING}
    if billing and shipping - billing:
        points += 20
        reasons.append("ships to another postal code than the billing address")
    return FraudScore(points, tuple(reasons))


def fraud_score(order: Order, addresses: Iterable[OrderAddress]) -> FraudScore:
    rule = getattr(settings, "ORDERS_FRAUD_RULE", "")
    return (import_string(rule) if rule else default_fraud_rule)(order, addresses)


def _lock(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound("This order does not exist.")
    return order


def _place(order: Order, *, hold_type: str, reason: str, actor, rule: str = "") -> OrderHold:
    hold = OrderHold.objects.create(
        order=order, type=hold_type, reason=reason[:255], placed_by=actor, placed_by_rule=rule
    )
    Order.objects.filter(pk=order.pk).update(version=F("version") + 1, modified_at=timezone.now())
    events.record(
        order.pk,
        E.ORDER_HOLD_PLACED,
        actor,
        hold=hold.pk,
        type=hold_type,
        reason=hold.reason,
        rule=rule,
    )
    return hold


@transaction.atomic
def hold_place(*, actor, order: Order | int, hold_type: str = HoldType.MANUAL, reason: str):
    """A CSR or supervisor holds an order (manual, or any type by hand)."""
    require(actor, Perm.USE_DESK, "hold orders")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the order is held.", field="reason")
    if hold_type not in HoldType.values:
        raise DomainError("Choose a hold type.", field="type")
    order = _lock(order if isinstance(order, int) else order.pk)
    if order.status not in HOLDABLE_STATES:
        raise DomainError(
            f"Order {order} is {order.get_status_display().lower()}; only an order not yet "
            "released can be held."
        )
    return _place(order, hold_type=hold_type, reason=reason, actor=actor)


def place_system_hold(*, order: Order, hold_type: str, reason: str, rule: str, actor=None):
    """Inside a caller's transaction with `order` locked: a hold placed by a rule."""
    if OrderHold.objects.filter(order=order, type=hold_type, released_at__isnull=True).exists():
        return None
    return _place(order, hold_type=hold_type, reason=reason, actor=actor, rule=rule)


def hold_over_limit() -> bool:
    """The store setting: an adjustment over the CSR's limit places the order on hold (the
    adjustment waits for a supervisor) instead of refusing the submit."""
    return bool(getattr(settings, "ORDERS_HOLD_OVER_LIMIT_ADJUSTMENTS", False))


def over_credit_limit(order: Order) -> str:
    """Why the order takes its business account over the account's credit limit (the figures),
    or "" when it does not or the account has no limit. Inside the caller's transaction: the
    account's row is locked so that its orders are checked one after the other."""
    account = ext.credit_account(order.customer_id, lock=True)
    if account is None:
        return ""
    open_total = selectors.account_open_total(
        organization_id=account.pk, currency=order.currency, exclude_order_id=order.pk
    )
    if open_total + order.total <= account.credit_limit:
        return ""
    return (
        f"Account {account}: open orders {open_total:,.2f} + this order {order.total:,.2f} "
        f"over the credit limit {account.credit_limit:,.2f} {order.currency}."
    )


def credit_limit_hold(*, order: Order, actor, rule: str) -> OrderHold | None:
    """Inside the caller's transaction with `order` locked: a business account's order over
    the account's credit limit is held until a supervisor releases it."""
    reason = over_credit_limit(order)
    if not reason:
        return None
    return place_system_hold(
        order=order, hold_type=HoldType.CREDIT_LIMIT, reason=reason, rule=rule, actor=actor
    )


def holds_at_submit(
    *, order: Order, actor, addresses: Iterable[OrderAddress], avs_reason: str = ""
) -> list[OrderHold]:
    """Submit, in its placing transaction: an AVS mismatch is a payment-review hold; an
    adjustment awaiting approval (store setting) an adjustment hold; a business account's order
    over its credit limit a credit-limit hold; a fraud score over the threshold a fraud hold.
    `addresses`: the order's, as submit read them, for the fraud rule (an order's addresses
    change only while it is pending, through a claim, or once placed, through a change)."""
    placed = [credit_limit_hold(order=order, actor=actor, rule="submit: credit limit")]
    if hold_over_limit() and ext.awaiting_approval(order_id=order.pk):
        placed.append(
            place_system_hold(
                order=order,
                hold_type=HoldType.ADJUSTMENT_LIMIT,
                reason="An adjustment over the CSR's limit awaits a supervisor's approval; "
                "releasing the hold approves it (the order is repriced, the payment reduced).",
                rule="submit: adjustment limit",
                actor=actor,
            )
        )
    if avs_reason:
        placed.append(
            place_system_hold(
                order=order,
                hold_type=HoldType.PAYMENT_REVIEW,
                reason=avs_reason,
                rule="submit: AVS",
                actor=actor,
            )
        )
    score = fraud_score(order, addresses)
    threshold = int(getattr(settings, "ORDERS_FRAUD_THRESHOLD", FRAUD_THRESHOLD_DEFAULT))
    if score.score >= threshold:
        placed.append(
            place_system_hold(
                order=order,
                hold_type=HoldType.FRAUD,
                reason=f"Fraud score {score.score}: " + "; ".join(score.reasons),
                rule="fraud rule",
                actor=actor,
            )
        )
    return [h for h in placed if h is not None]


def _open_hold(hold_id) -> tuple[OrderHold, Order]:
    hold = OrderHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise NotFound("That hold does not exist.")
    order = _lock(hold.order_id)
    hold.refresh_from_db()
    if hold.released_at is not None:
        raise DomainError(
            f"This hold was already {hold.get_resolution_display().lower()}.",
            extra={"version": order.version},
        )
    return hold, order


def hold_release(*, actor, hold_id, note: str = "") -> OrderHold:
    """A supervisor releases a hold. The last payment-review hold of an order in payment
    review makes it payment authorized again; releasing an adjustment hold approves the
    adjustment: the order changes (repriced, a new version, the authorization reduced) first."""
    require(actor, Perm.SUPERVISE, "release holds")
    hold = OrderHold.objects.filter(pk=hold_id).first()
    if hold is not None and hold.type == HoldType.ADJUSTMENT_LIMIT and hold.released_at is None:
        # changes imports this module (holds placed by a change)
        from orders.services.changes import ChangeRequest, order_change

        order = Order.objects.get(pk=hold.order_id)
        order_change(
            actor=actor,
            order=order,
            version=order.version,
            request=ChangeRequest(approve_adjustments=True, reason="adjustment approved"),
        )
    return _release(actor=actor, hold_id=hold_id, note=note)


@transaction.atomic
def _release(*, actor, hold_id, note: str) -> OrderHold:
    hold, order = _open_hold(hold_id)
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.resolution = OrderHold.Resolution.RELEASED
    hold.note = (note or "")[:255]
    hold.save(update_fields=["released_at", "released_by", "resolution", "note"])
    Order.objects.filter(pk=order.pk).update(version=F("version") + 1, modified_at=timezone.now())
    events.record(
        order.pk, E.ORDER_HOLD_RELEASED, actor, hold=hold.pk, type=hold.type, note=hold.note
    )
    others = OrderHold.objects.filter(
        order=order, type=HoldType.PAYMENT_REVIEW, released_at__isnull=True
    ).exists()
    if hold.type == HoldType.PAYMENT_REVIEW and order.status == S.PAYMENT_REVIEW and not others:
        set_payment_status(actor=actor, order_id=order.pk, authorized=True, reason="hold released")
    return hold


def close_payment_review_holds(*, order: Order, actor, note: str) -> int:
    """The payment was set authorized by a supervisor (orders.payment_capture): the order's
    open payment-review holds close with it. Inside the caller's transaction, order locked."""
    open_holds = OrderHold.objects.filter(
        order=order, type=HoldType.PAYMENT_REVIEW, released_at__isnull=True
    )
    ids = list(open_holds.values_list("pk", flat=True))
    if ids:
        open_holds.update(
            released_at=timezone.now(),
            released_by=actor,
            resolution=OrderHold.Resolution.RELEASED,
            note=note[:255],
        )
        for hold_id in ids:
            events.record(
                order.pk,
                E.ORDER_HOLD_RELEASED,
                actor,
                hold=hold_id,
                type=HoldType.PAYMENT_REVIEW,
                note=note,
            )
    return len(ids)


@transaction.atomic
def hold_cancel_order(*, actor, hold_id, reason: str = "") -> Order:
    """A supervisor cancels a held order from the queue: every open hold closes with it."""
    require(actor, Perm.SUPERVISE, "cancel held orders")
    hold, order = _open_hold(hold_id)
    reason = (reason or "").strip() or f"Canceled from the hold queue ({hold.get_type_display()})"
    canceled = cancel_order(actor=actor, order=order, reason=reason)
    closed = OrderHold.objects.filter(order=order, released_at__isnull=True)
    ids = list(closed.values_list("pk", flat=True))
    closed.update(
        released_at=timezone.now(),
        released_by=actor,
        resolution=OrderHold.Resolution.CANCELED,
        note=reason[:255],
    )
    events.record(order.pk, E.ORDER_HOLD_CANCELED, actor, holds=ids, reason=reason)
    return canceled

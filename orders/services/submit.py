"""Submit: exactly once per idempotency key; the payment is authorized outside the locking
transaction, so a declined card or a gateway error leaves the cart as it was."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core import payments
from core.errors import DomainError
from core.events import EventType as E
from core.money import quantize
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
    OrderNumber,
    OrderStatus,
    PaymentStatus,
    SubmitAttempt,
    order_number,
)
from orders.services import holds, versions
from orders.services._common import PricesChanged, SubmitIncomplete, SubmitResult, _event, _reprice
from orders.services.payment import _current_payment
from orders.status import transition_order

logger = logging.getLogger(__name__)


# --- submit ----------------------------------------------------------------------------------


def submit_problems(order: Order) -> dict[str, str]:
    """What must be fixed before submit, by field; empty when the order can be submitted."""
    problems: dict[str, str] = {}
    lines = list(OrderLine.objects.filter(order=order))
    if not lines:
        problems["lines"] = "Add at least one item."
    if any(line.ship_to_id is None for line in lines):
        problems["ship_to"] = "Choose a ship-to address for every line (S)."
    ship_to_ids = {line.ship_to_id for line in lines if line.ship_to_id}
    if (
        ship_to_ids
        and OrderAddress.objects.filter(pk__in=ship_to_ids, shipping_method__isnull=True).exists()
    ):
        problems["shipping_method"] = "Choose a shipping method for every ship-to (S)."
    if not OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.BILLING).exists():
        problems["billing"] = "Enter the billing address (B)."
    if _current_payment(order) is None:
        problems["payment"] = "Choose a stored card or enter a card (B)."
    if order.customer_id is None and (not order.guest_last_name or not order.guest_email):
        problems["guest"] = "Enter the guest's name and e-mail address."
    return problems


def _billing_dict(order: Order) -> dict | None:
    addr = OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.BILLING).first()
    if addr is None:
        return None
    return {
        "line1": addr.line1,
        "postal_code": addr.postal_code,
        "country": str(addr.country),
        "name": f"{addr.first_name} {addr.last_name}",
    }


def _next_number(order: Order) -> str:
    return order_number(OrderNumber.objects.create(order=order).pk)


def submit_order(*, actor, order: Order, idempotency_key: str, expected_total=None) -> SubmitResult:
    """Submit the cart, exactly once per idempotency key.

    1. Under the order's row lock: a known key returns its earlier answer; otherwise check the
       order is complete, reprice, compare with the total the CSR confirmed (a difference
       raises PricesChanged with the new total: nothing consumed), mark it `submitted`.
    2. Outside any transaction: authorize the payment with the gateway.
    3. Declined or gateway error: back to `pending` with the reason; nothing was consumed.
       Approved: in one transaction finalize pricing (promotion usage, coupons; may refuse if a
       limit was reached meanwhile), allocate inventory, number the order, set `authorized`
       (or `backordered` / `payment_review`), and e-mail the confirmation after commit. If that
       transaction fails, it rolls back whole and the authorization is voided.
    """
    require(actor, Perm.USE_DESK, "submit orders")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise DomainError("A submit needs an idempotency key (1-100 characters).", field="key")
    if expected_total is not None:
        try:
            expected_total = quantize(Decimal(str(expected_total)), order.currency)
        except (InvalidOperation, ValueError):
            raise DomainError(
                "The confirmed total is not a number.", field="expected_total"
            ) from None

    changed_total = None
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            attempt = SubmitAttempt.objects.filter(key=key).first()
            if attempt is not None:
                if attempt.order_id != locked.pk:
                    raise DomainError("This submit key belongs to another order.", field="key")
                return SubmitResult(
                    locked,
                    placed=attempt.outcome == SubmitAttempt.Outcome.PLACED,
                    message=attempt.message,
                    repeated=True,
                )
            if locked.status != OrderStatus.PENDING:
                raise DomainError(
                    f"Order {locked} is already {locked.get_status_display().lower()}."
                )
            problems = submit_problems(locked)
            if problems:
                raise SubmitIncomplete(
                    "Before submitting: " + " ".join(problems.values()),
                    extra={"problems": problems},
                )
            # Checked before the card is touched: an order that cannot be placed is never
            # authorized and voided.
            if ext.awaiting_approval(order_id=locked.pk) and not holds.hold_over_limit():
                raise ext.ApprovalNeeded(
                    "An adjustment on this order waits for a supervisor's approval: ask a "
                    "supervisor to approve it (Approvals, V) or remove it, then submit.",
                    field="adjustment",
                )
            old_total = locked.total
            _reprice(locked, actor)
            if expected_total is not None and locked.total != expected_total:
                changed_total = (expected_total, locked.total)
                _event(
                    locked,
                    E.ORDER_PRICES_CHANGED_AT_SUBMIT,
                    actor,
                    old=str(expected_total),
                    new=str(locked.total),
                    was=str(old_total),
                )
                Order.objects.filter(pk=locked.pk).update(version=F("version") + 1)
            else:
                attempt = SubmitAttempt.objects.create(key=key, order=locked, actor=actor)
                transition_order(locked, OrderStatus.SUBMITTED, actor=actor, key=key)
                _event(locked, E.ORDER_SUBMIT_STARTED, actor, total=str(locked.total), key=key)
    except IntegrityError:
        # A concurrent submit with the same key won the race on the unique key.
        attempt = SubmitAttempt.objects.get(key=key)
        return SubmitResult(
            Order.objects.get(pk=attempt.order_id),
            placed=attempt.outcome == SubmitAttempt.Outcome.PLACED,
            message=attempt.message,
            repeated=True,
        )
    if changed_total is not None:
        old, new = changed_total
        raise PricesChanged(
            f"Prices changed since the review: the total is now {new} {locked.currency} "
            f"(was {old}). Check the summary and submit again to confirm.",
            extra={"total": str(new), "previous_total": str(old)},
        )

    return _authorize_and_place(locked, attempt, actor)


def _authorize_and_place(order: Order, attempt: SubmitAttempt, actor) -> SubmitResult:
    """Steps 2 and 3 of a submit, for an order marked `submitted` under this attempt."""
    payment = _current_payment(order)
    gateway = payments.get_gateway()
    try:
        auth = gateway.authorize(
            token=payment.gateway_token,
            amount=order.total,
            currency=order.currency,
            billing_address=_billing_dict(order),
            reference=attempt.key,
        )
    except Exception:
        logger.warning("payment gateway authorize failed for order %s", order.pk)
        auth = payments.AuthResult(
            payments.Outcome.ERROR,
            "The payment gateway did not answer; nothing was charged. Try again shortly.",
        )

    if not auth.approved:
        return _submit_refused(order, attempt, payment, auth, actor)

    try:
        with transaction.atomic():
            placed = Order.objects.select_for_update().get(pk=order.pk)
            if placed.status != OrderStatus.SUBMITTED:
                # Another process (a resumed submit) finished this attempt meanwhile.
                return _finished_elsewhere(placed, attempt)
            order_pricing.finalize_pricing(
                order=placed, actor=actor, hold_pending_adjustments=holds.hold_over_limit()
            )
            allocation.allocate_order(order=placed, actor=actor)
            placed.number = _next_number(placed)
            placed.submitted_at = timezone.now()
            placed.attention = auth.reason if auth.outcome == payments.Outcome.AVS_MISMATCH else ""
            Order.objects.filter(pk=placed.pk).update(
                number=placed.number,
                submitted_at=placed.submitted_at,
                attention=placed.attention,
            )
            payment.status = (
                PaymentStatus.REVIEW
                if auth.outcome == payments.Outcome.AVS_MISMATCH
                else PaymentStatus.AUTHORIZED
            )
            payment.amount = placed.total
            payment.authorization_id = auth.authorization_id
            payment.avs_code = auth.avs_code
            payment.reason = auth.reason
            payment.save()
            if auth.outcome == payments.Outcome.AVS_MISMATCH:
                target = OrderStatus.PAYMENT_REVIEW
                _event(placed, E.ORDER_PAYMENT_REVIEW, actor, reason=auth.reason, avs=auth.avs_code)
            else:
                backordered = OrderLine.objects.filter(
                    order=placed, inventory_status=LineInventoryStatus.BACKORDERED
                ).exists()
                target = OrderStatus.BACKORDERED if backordered else OrderStatus.AUTHORIZED
                _event(
                    placed,
                    E.ORDER_PAYMENT_AUTHORIZED,
                    actor,
                    amount=str(placed.total),
                    card=payment.label,
                )
            transition_order(placed, target, actor=actor)
            _placed(placed, actor)
            SubmitAttempt.objects.filter(pk=attempt.pk).update(
                outcome=SubmitAttempt.Outcome.PLACED, message=f"Order {placed.number} placed."
            )
            # tasks import these services: imported when queued (tasks <-> services)
            from orders import tasks

            order_id = placed.pk
            transaction.on_commit(lambda: tasks.send_order_confirmation.delay(order_id))
    except Exception as exc:
        if isinstance(exc, DomainError):
            reason = exc.message
        else:
            logger.exception("placing order %s failed after authorization", order.pk)
            reason = "The order could not be placed (an internal error); nothing was charged."
        try:
            gateway.void(authorization_id=auth.authorization_id)
        except Exception:
            logger.warning("void failed for order %s", order.pk)
        failed = payments.AuthResult(payments.Outcome.DECLINED, reason)
        return _submit_refused(order, attempt, payment, failed, actor, voided=True)
    placed.refresh_from_db()
    return SubmitResult(placed, placed=True, message=f"Order {placed.number} placed.")


def _placed(placed: Order, actor) -> None:
    """The order is placed: its event, its typed holds (AVS, fraud score) and version 1."""
    _event(placed, E.ORDER_PLACED, actor, number=placed.number, total=str(placed.total))
    holds.holds_at_submit(order=placed, actor=actor, avs_reason=placed.attention)
    versions.record_version(order=placed, actor=actor, reason="placed")


def _finished_elsewhere(order: Order, attempt: SubmitAttempt) -> SubmitResult:
    attempt.refresh_from_db()
    return SubmitResult(
        order,
        placed=attempt.outcome == SubmitAttempt.Outcome.PLACED,
        message=attempt.message,
        repeated=True,
    )


@transaction.atomic
def _submit_refused(order, attempt, payment, auth, actor, voided=False) -> SubmitResult:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.SUBMITTED:
        return _finished_elsewhere(order, attempt)
    if voided:
        payment.status = PaymentStatus.SELECTED  # the card is fine; the order was not
        _event(order, E.ORDER_PAYMENT_VOIDED, actor, reason=auth.reason)
        _event(order, E.ORDER_SUBMIT_FAILED, actor, reason=auth.reason)
    elif auth.outcome == payments.Outcome.ERROR:
        payment.status = PaymentStatus.ERROR
        _event(order, E.ORDER_PAYMENT_ERROR, actor, reason=auth.reason, card=payment.label)
    else:
        payment.status = PaymentStatus.DECLINED
        _event(order, E.ORDER_PAYMENT_DECLINED, actor, reason=auth.reason, card=payment.label)
    payment.reason = auth.reason
    payment.amount = order.total
    payment.save()
    transition_order(order, OrderStatus.PENDING, actor=actor, reason=auth.reason)
    Order.objects.filter(pk=order.pk).update(attention=auth.reason)
    SubmitAttempt.objects.filter(pk=attempt.pk).update(
        outcome=SubmitAttempt.Outcome.REFUSED, message=auth.reason
    )
    _reprice(order, actor)
    order.refresh_from_db()
    return SubmitResult(order, placed=False, message=auth.reason)


# A submit marks the order `submitted`, asks the gateway, then places the order. A process that
# dies in between leaves the order `submitted` with its attempt in progress; after this long the
# job below finishes it (the gateway answers a repeated reference with the same authorization).
RESUME_SUBMITS_AFTER = dt.timedelta(minutes=5)


def resume_interrupted_submits(*, older_than=RESUME_SUBMITS_AFTER, limit: int = 500) -> int:
    """Finish submits left half-done: each is authorized again under its own idempotency key
    and placed, or refused back to `pending` with the reason, exactly as the CSR's submit
    would have. Safe on two workers at once. Returns how many it finished."""
    stale_before = timezone.now() - older_than
    candidates = SubmitAttempt.objects.filter(
        outcome=SubmitAttempt.Outcome.IN_PROGRESS,
        order__status=OrderStatus.SUBMITTED,
        modified_at__lt=stale_before,
    ).values_list("pk", flat=True)
    finished = 0
    for attempt_id in list(candidates[:limit]):
        attempt = _take_interrupted(attempt_id, stale_before)
        if attempt is None:  # another worker has it, or it finished meanwhile
            continue
        order = Order.objects.get(pk=attempt.order_id)
        _event(order, E.ORDER_SUBMIT_RESUMED, None, key=attempt.key, csr=attempt.actor_id)
        _authorize_and_place(order, attempt, attempt.actor)
        finished += 1
    return finished


@transaction.atomic
def _take_interrupted(attempt_id: int, stale_before) -> SubmitAttempt | None:
    """Lease one interrupted attempt: locked past other workers, and its `modified_at` moved
    on so that the next run does not take it again while this one works."""
    attempt = (
        SubmitAttempt.objects.select_for_update(skip_locked=True)
        .select_related("actor")
        .filter(pk=attempt_id, outcome=SubmitAttempt.Outcome.IN_PROGRESS)
        .filter(modified_at__lt=stale_before)
        .first()
    )
    if attempt is not None:
        attempt.save(update_fields=["modified_at"])
    return attempt

"""Submit: exactly once per idempotency key; the payment is authorized outside the locking
transaction, so a declined card or a gateway error leaves the cart as it was."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core import payments
from core.db import retry_on_deadlock
from core.errors import DomainError
from core.events import EventType as E
from core.money import quantize
from core.permissions import require
from core.roles import Perm
from orders import allocation, events
from orders import integrations as ext
from orders import pricing as order_pricing
from orders.models import (
    LineInventoryStatus,
    Order,
    OrderAddress,
    OrderLine,
    OrderNumber,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
    SubmitAttempt,
    order_number,
)
from orders.services import holds, versions
from orders.services._common import PricesChanged, SubmitIncomplete, SubmitResult, _event, _reprice
from orders.services.payment import _current_payment, card_amount, store_credit_applied
from orders.status import transition_order

logger = logging.getLogger(__name__)


# --- submit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    """What a submit reads of the cart besides its lines: its addresses (the billing one, the
    ship-tos) and the card."""

    addresses: tuple[OrderAddress, ...]
    payment: OrderPayment | None

    @classmethod
    def of(cls, order: Order) -> Checkout:
        addresses = OrderAddress.objects.filter(order=order).select_related("shipping_method")
        return cls(tuple(addresses), _current_payment(order))

    @property
    def ship_tos(self) -> list[OrderAddress]:
        return [a for a in self.addresses if a.kind == OrderAddress.Kind.SHIPPING]

    @property
    def billing(self) -> OrderAddress | None:
        return next((a for a in self.addresses if a.kind == OrderAddress.Kind.BILLING), None)

    def without_method(self, ship_to_ids) -> bool:
        """Whether one of these ship-tos has no shipping method."""
        return any(a.shipping_method_id is None for a in self.addresses if a.pk in ship_to_ids)

    def billing_dict(self) -> dict | None:
        """The billing address as the gateway's address check reads it."""
        addr = self.billing
        if addr is None:
            return None
        return {
            "line1": addr.line1,
            "postal_code": addr.postal_code,
            "country": str(addr.country),
            "name": f"{addr.first_name} {addr.last_name}",
        }


@dataclass(frozen=True)
class Confirmed:
    """The order as step 1 priced it under its row lock: the total the CSR confirmed and the
    card is authorized for. Step 3 makes the promotion usage of this result final (its lines
    cannot change meanwhile: the order is `submitted`), so the usage matches what is charged
    and the order is not read and priced a second time."""

    read: order_pricing.PricingRead
    priced: order_pricing.PricedOrder


def submit_problems(
    order: Order, checkout: Checkout | None = None, lines: Sequence | None = None
) -> dict[str, str]:
    """What must be fixed before submit, by field; empty when the order can be submitted.
    `lines`: the order's lines (anything with their `ship_to_id`) if the caller read them."""
    checkout = checkout or Checkout.of(order)
    problems: dict[str, str] = {}
    if lines is None:
        lines = list(OrderLine.objects.filter(order=order))
    if not lines:
        problems["lines"] = "Add at least one item."
    if any(line.ship_to_id is None for line in lines):
        problems["ship_to"] = "Choose a ship-to address for every line (S)."
    ship_to_ids = {line.ship_to_id for line in lines if line.ship_to_id}
    if checkout.without_method(ship_to_ids):
        problems["shipping_method"] = "Choose a shipping method for every ship-to (S)."
    if checkout.billing is None:
        problems["billing"] = "Enter the billing address (B)."
    paid_by_credit = store_credit_applied(order) > 0 and card_amount(order) <= 0
    if checkout.payment is None and not paid_by_credit:
        problems["payment"] = "Choose a stored card or enter a card (B)."
    credit = store_credit_applied(order)
    if credit > 0 and credit > ext.store_credit_balance(order.customer_id):
        problems["store_credit"] = (
            f"The customer's store credit is {ext.store_credit_balance(order.customer_id)} "
            f"now, less than the {credit} applied (B)."
        )
    if order.customer_id is None and (not order.guest_last_name or not order.guest_email):
        problems["guest"] = "Enter the guest's name and e-mail address."
    return problems


def _next_number(order: Order) -> str:
    return order_number(OrderNumber.objects.create(order=order).pk)


def submit_order(*, actor, order: Order, idempotency_key: str, expected_total=None) -> SubmitResult:
    """Submit the cart, exactly once per idempotency key.

    1. Under the order's row lock: a known key returns its earlier answer; otherwise check the
       order is complete, reprice, compare with the total the CSR confirmed (a difference
       raises PricesChanged naming what changed: nothing consumed), mark it `submitted`.
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
        expected_total = _amount(expected_total, order.currency)
    try:
        started = _start(order, key, actor, expected_total)
    except IntegrityError:
        # A concurrent submit with the same key won the race on the unique key.
        attempt = SubmitAttempt.objects.get(key=key)
        return SubmitResult(
            Order.objects.get(pk=attempt.order_id),
            placed=attempt.outcome == SubmitAttempt.Outcome.PLACED,
            message=attempt.message,
            repeated=True,
        )
    if isinstance(started, DomainError):  # raised after the commit: the reprice stays
        raise started
    if isinstance(started, SubmitResult):
        return started
    locked, attempt, checkout, confirmed = started
    return _authorize_and_place(locked, attempt, actor, checkout, confirmed)


def _amount(value, currency: str) -> Decimal:
    try:
        return quantize(Decimal(str(value)), currency)
    except (InvalidOperation, ValueError):
        raise DomainError("The confirmed total is not a number.", field="expected_total") from None


@transaction.atomic
def _start(order: Order, key: str, actor, expected_total):
    """Step 1 under the order's row lock. Returns the earlier answer of a known key, or the
    refusal to raise once this transaction (with the reprice that found it) has committed, or
    (order, attempt, checkout, confirmed) for an order now `submitted`."""
    with events.batched():
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
            raise DomainError(f"Order {locked} is already {locked.get_status_display().lower()}.")
        checkout = Checkout.of(locked)
        # the lines, read once under the lock: checked here, then priced as they were read
        read = order_pricing.read_for_pricing(locked)
        problems = submit_problems(locked, checkout, [*read.lines, *read.gift_lines])
        if problems:
            raise SubmitIncomplete(
                "Before submitting: " + " ".join(problems.values()), extra={"problems": problems}
            )
        priced, refusal = _reprice_for_submit(locked, actor, expected_total, read)
        if refusal is not None:
            Order.objects.filter(pk=locked.pk).update(version=F("version") + 1)
            return refusal
        attempt = SubmitAttempt.objects.create(key=key, order=locked, actor=actor)
        transition_order(locked, OrderStatus.SUBMITTED, actor=actor, key=key)
        _event(locked, E.ORDER_SUBMIT_STARTED, actor, total=str(locked.total), key=key)
        return locked, attempt, checkout, Confirmed(read, priced)


def _reprice_for_submit(
    locked: Order, actor, expected_total, read: order_pricing.PricingRead
) -> tuple[order_pricing.PricedOrder, DomainError | None]:
    """Price the order as it will be placed; with the result, the refusal when it cannot be
    placed as the CSR confirmed it. Checked before the card is touched: an order that cannot
    be placed is never authorized and voided."""
    before = locked.pricing_detail or {}
    old_total = locked.total
    # may send an adjustment that grew back to approval
    priced = order_pricing.reprice_order(order=locked, actor=actor, read=read)
    if priced.awaiting_approval and not holds.hold_over_limit():
        return priced, ext.ApprovalNeeded(
            "An adjustment on this order waits for a supervisor's approval: ask a supervisor "
            "to approve it (Approvals, V) or remove it, then submit.",
            field="adjustment",
        )
    if expected_total is None or locked.total == expected_total:
        return priced, None
    changes = order_pricing.what_changed(before, locked.pricing_detail or {})
    _event(
        locked,
        E.ORDER_PRICES_CHANGED_AT_SUBMIT,
        actor,
        old=str(expected_total),
        new=str(locked.total),
        was=str(old_total),
        changes=changes,
    )
    return priced, PricesChanged(
        f"Prices changed since the review: the total is now {locked.total} {locked.currency} "
        f"(was {expected_total}). "
        + " ".join(changes)
        + (" " if changes else "")
        + "Check the summary with the customer and submit again to confirm.",
        extra={
            "total": str(locked.total),
            "previous_total": str(expected_total),
            "changes": changes,
        },
    )


def _authorize_and_place(
    order: Order,
    attempt: SubmitAttempt,
    actor,
    checkout: Checkout | None = None,
    confirmed: Confirmed | None = None,
) -> SubmitResult:
    """Steps 2 and 3 of a submit, for an order marked `submitted` under this attempt
    (`confirmed`: step 1's pricing, when this process ran step 1; a resumed submit prices the
    order again)."""
    checkout = checkout or Checkout.of(order)
    payment = checkout.payment
    gateway = payments.get_gateway()
    credit, to_card = store_credit_applied(order), card_amount(order)
    if credit > 0 and to_card <= 0:  # the store credit pays it all: no card to ask
        auth = payments.AuthResult(payments.Outcome.APPROVED, "Paid with store credit", "")
        payment = None
    else:
        auth = _authorize(gateway, order, checkout, to_card, attempt.key)

    if not auth.approved:
        return _submit_refused(order, attempt, payment, auth, actor)

    try:
        return _place(order, attempt, actor, checkout, payment, auth, credit, to_card, confirmed)
    except Exception as exc:
        if isinstance(exc, DomainError):
            reason = exc.message
        else:
            logger.exception("placing order %s failed after authorization", order.pk)
            reason = "The order could not be placed (an internal error); nothing was charged."
        try:
            if auth.authorization_id:
                gateway.void(authorization_id=auth.authorization_id)
        except Exception:
            logger.warning("void failed for order %s", order.pk)
        failed = payments.AuthResult(payments.Outcome.DECLINED, reason)
        return _submit_refused(order, attempt, payment, failed, actor, voided=True)


@retry_on_deadlock
@transaction.atomic
def _place(
    order: Order,
    attempt: SubmitAttempt,
    actor,
    checkout: Checkout,
    payment: OrderPayment | None,
    auth: payments.AuthResult,
    credit: Decimal,
    to_card: Decimal,
    confirmed: Confirmed | None = None,
) -> SubmitResult:
    """Step 3 of a submit, in one transaction, once the payment is authorized. A deadlock
    (PostgreSQL aborts one of two transactions that lock the same inventory rows in opposite
    orders, such as a cart's add line that earns a gift) is retried here: the aborted attempt
    left nothing, and retrying does not ask the gateway again."""
    with events.batched():
        placed = Order.objects.select_for_update().get(pk=order.pk)
        if placed.status != OrderStatus.SUBMITTED:
            # Another process (a resumed submit) finished this attempt meanwhile.
            return _finished_elsewhere(placed, attempt)
        order_pricing.finalize_pricing(
            order=placed,
            actor=actor,
            hold_pending_adjustments=holds.hold_over_limit(),
            read=confirmed.read if confirmed else None,
            priced=confirmed.priced if confirmed else None,
        )
        if credit > 0:  # refused (and all rolled back) if the balance no longer covers it
            ext.store_credit_spend(
                actor=actor,
                customer_id=placed.customer_id,
                amount=credit,
                currency=placed.currency,
                reference=f"order:{placed.pk}",
            )
        # every line of the cart, locked once: allocated here, written in version 1 below
        lines = allocation.lock_lines(order=placed)
        allocated = allocation.allocate_order(order=placed, actor=actor, locked=lines)
        placed.number = _next_number(placed)
        placed.submitted_at = timezone.now()
        placed.attention = auth.reason if auth.outcome == payments.Outcome.AVS_MISMATCH else ""
        backordered = any(
            result.status == LineInventoryStatus.BACKORDERED for result in allocated.values()
        )
        target = _record_payment(
            placed,
            payment,
            auth,
            actor,
            to_card=to_card,
            credit=credit,
            backordered=backordered,
        )
        transition_order(
            placed,
            target,
            actor=actor,
            set_fields={
                "number": placed.number,
                "submitted_at": placed.submitted_at,
                "attention": placed.attention,
                "store_credit_amount": credit,
            },
        )
        _placed(placed, actor, lines, checkout, payment)
        SubmitAttempt.objects.filter(pk=attempt.pk).update(
            outcome=SubmitAttempt.Outcome.PLACED, message=f"Order {placed.number} placed."
        )
        # tasks import these services: imported when queued (tasks <-> services)
        from orders import tasks

        order_id = placed.pk
        transaction.on_commit(lambda: tasks.send_order_confirmation.delay(order_id))
    return SubmitResult(placed, placed=True, message=f"Order {placed.number} placed.")


def _placed(
    placed: Order, actor, lines: list[OrderLine], checkout: Checkout, payment: OrderPayment | None
) -> None:
    """The order is placed: its event, its typed holds (AVS, fraud score) and version 1 (of
    the lines, the ship-tos and the card as submit read and wrote them)."""
    _event(placed, E.ORDER_PLACED, actor, number=placed.number, total=str(placed.total))
    holds.holds_at_submit(
        order=placed, actor=actor, addresses=checkout.addresses, avs_reason=placed.attention
    )
    versions.record_first_version(
        placed=placed, actor=actor, lines=lines, ship_tos=checkout.ship_tos, payment=payment
    )


def _record_payment(placed: Order, payment, auth, actor, *, to_card, credit, backordered) -> str:
    """The authorized card (none when store credit pays it all) and its event; returns the
    status the placed order moves to."""
    if payment is not None:
        payment.status = (
            PaymentStatus.REVIEW
            if auth.outcome == payments.Outcome.AVS_MISMATCH
            else PaymentStatus.AUTHORIZED
        )
        payment.amount = to_card
        payment.authorization_id = auth.authorization_id
        payment.avs_code = auth.avs_code
        payment.reason = auth.reason
        payment.save()
    if auth.outcome == payments.Outcome.AVS_MISMATCH:
        _event(placed, E.ORDER_PAYMENT_REVIEW, actor, reason=auth.reason, avs=auth.avs_code)
        return OrderStatus.PAYMENT_REVIEW
    _event(
        placed,
        E.ORDER_PAYMENT_AUTHORIZED,
        actor,
        amount=str(to_card),
        card=payment.label if payment is not None else "",
        store_credit=str(credit),
    )
    return OrderStatus.BACKORDERED if backordered else OrderStatus.AUTHORIZED


def _authorize(gateway, order: Order, checkout: Checkout, amount, key: str) -> payments.AuthResult:
    try:
        return gateway.authorize(
            token=checkout.payment.gateway_token,
            amount=amount,
            currency=order.currency,
            billing_address=checkout.billing_dict(),
            reference=key,
        )
    except Exception:
        logger.warning("payment gateway authorize failed for order %s", order.pk)
        return payments.AuthResult(
            payments.Outcome.ERROR,
            "The payment gateway did not answer; nothing was charged. Try again shortly.",
        )


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
        if payment is not None:
            payment.status = PaymentStatus.SELECTED  # the card is fine; the order was not
            _event(order, E.ORDER_PAYMENT_VOIDED, actor, reason=auth.reason)
        _event(order, E.ORDER_SUBMIT_FAILED, actor, reason=auth.reason)
    elif auth.outcome == payments.Outcome.ERROR:
        payment.status = PaymentStatus.ERROR
        _event(order, E.ORDER_PAYMENT_ERROR, actor, reason=auth.reason, card=payment.label)
    else:
        payment.status = PaymentStatus.DECLINED
        _event(order, E.ORDER_PAYMENT_DECLINED, actor, reason=auth.reason, card=payment.label)
    if payment is not None:
        payment.reason = auth.reason
        payment.amount = card_amount(order)
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

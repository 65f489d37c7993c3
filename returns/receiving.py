"""Receiving returned goods, the refund and the expiry of returns whose goods never came.

Receiving (operations) is one transaction: the return locked, quantities and dispositions per
line, restockable units back into stock through fulfillment's `adjust_inventory`, store credit
issued. The gateway refund runs after it, OUTSIDE any transaction, claimed so it runs once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core import payments
from core.errors import DomainError
from core.events import EventType as E
from core.jobs import heartbeat
from core.money import ZERO, quantize
from core.permissions import require
from core.roles import Perm
from customers.credit import store_credit_add, store_credit_reverse
from fulfillment.inventory.stock import adjust_inventory
from fulfillment.models import AdjustmentReason, FulfillmentCenter
from returns import events, locks, selectors, status
from returns.models import (
    Disposition,
    ReturnLine,
    ReturnPolicy,
    ReturnRefund,
    ReturnRequest,
    ReturnStatus,
)
from returns.workflow import RETURN_TRANSITIONS

logger = logging.getLogger(__name__)

S = ReturnStatus


def _center_for(return_line: ReturnLine, center: FulfillmentCenter | None) -> FulfillmentCenter:
    if return_line.order_line_id:
        shipped_from = selectors.shipped_from_center(return_line.order_line_id)
        if shipped_from is not None:
            return FulfillmentCenter.objects.get(pk=shipped_from)
    if center is not None:
        return center
    found = FulfillmentCenter.objects.filter(is_active=True).order_by("precedence", "pk").first()
    if found is None:
        raise DomainError("There is no fulfillment center to restock into.", field="center")
    return found


def _received(items, lines: list[ReturnLine]) -> dict[int, tuple[int, str]]:
    """items: [{"line": id, "quantity": n, "disposition": d}] or None (everything as planned)."""
    if items is None:
        return {x.pk: (x.quantity, x.disposition) for x in lines}
    by_pk = {x.pk: x for x in lines}
    received: dict[int, tuple[int, str]] = {}
    for item in items:
        line = by_pk.get(int(item.get("line") or 0))
        if line is None:
            raise DomainError("That line is not on this return.", field="lines")
        try:
            quantity = int(item.get("quantity"))
        except (TypeError, ValueError):
            raise DomainError("Quantities must be whole numbers.", field="lines") from None
        if not 0 <= quantity <= line.quantity:
            raise DomainError(
                f"{line.label}: between 0 and {line.quantity} can be received.", field="lines"
            )
        disposition = item.get("disposition") or line.disposition
        if disposition not in Disposition.values:
            raise DomainError(f"{line.label}: choose restock, damaged or scrap.", field="lines")
        if disposition == Disposition.RESTOCK and line.sku_id is None:
            raise DomainError(f"{line.label} is not a catalog item; it cannot be restocked.")
        received[line.pk] = (quantity, disposition)
    if not any(q for q, _ in received.values()):
        raise DomainError("Say how many of at least one line arrived.", field="lines")
    return received


@transaction.atomic
def _receive(*, actor, return_id: int, items, center) -> ReturnRequest:
    return_request = locks.lock_return(return_id)
    if return_request.status != S.APPROVED:
        if return_request.received_at:
            raise DomainError(f"The goods of {return_request} were received already.")
        raise DomainError(
            f"Return {return_request} is {return_request.get_status_display().lower()}; "
            "only approved returns are received."
        )
    lines = selectors.return_lines(return_request)
    received = _received(items, lines)
    now = timezone.now()
    restocked = []
    for line in lines:
        quantity, disposition = received.get(line.pk, (0, line.disposition))
        refund = line.refund_amount
        if quantity < line.quantity:  # short: refund what arrived
            refund = quantize(
                line.refund_amount * quantity / line.quantity, return_request.currency
            )
        ReturnLine.objects.filter(pk=line.pk).update(
            received_quantity=quantity, disposition=disposition, refund_amount=refund
        )
        if quantity and disposition == Disposition.RESTOCK:
            target = _center_for(line, center)
            adjust_inventory(
                actor=actor,
                sku=line.sku,
                center=target,
                quantity=quantity,
                reason=AdjustmentReason.RETURNED,
                note=f"Return {return_request.rma_number}",
            )
            restocked.append({"sku": line.sku.code, "center": target.code, "quantity": quantity})
    return_request.received_at = now
    ReturnRequest.objects.filter(pk=return_request.pk).update(received_at=now)
    events.record(
        return_request.pk,
        E.RETURN_RECEIVED,
        actor,
        lines={str(k): {"quantity": q, "disposition": d} for k, (q, d) in received.items()},
    )
    if restocked:
        events.record(return_request.pk, E.RETURN_RESTOCKED, actor, items=restocked)
    status.set_status(return_request, S.RECEIVED, actor)
    issue_store_credit(return_request, actor)
    return return_request


def issue_store_credit(return_request: ReturnRequest, actor, *, advance: bool = False) -> None:
    """Credit the store credit part of the refund to the customer's balance (customers' ledger,
    once per RMA): when the goods are received (in the receiving transaction), or at approval
    when the policy gives advance credit. Issued once: a receipt after an advance credit adds
    nothing."""
    if return_request.credit_issued_at:
        return
    credit = selectors.refund_summary(return_request).store_credit
    if advance and credit <= 0:
        return  # nothing to advance: the refund waits for the goods
    if credit > 0:
        store_credit_add(
            actor=actor,
            customer_id=return_request.customer_id,
            amount=credit,
            currency=return_request.currency,
            reference=return_request.rma_number,
            note=f"Return {return_request.rma_number}" + (" (advance credit)" if advance else ""),
        )
        events.record(
            return_request.pk, E.RETURN_CREDIT_ISSUED, actor, amount=str(credit), advance=advance
        )
    return_request.credit_issued_at = timezone.now()
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        credit_issued_at=return_request.credit_issued_at
    )


def receive_return(
    *, actor, return_request: ReturnRequest, items=None, center: FulfillmentCenter | None = None
) -> ReturnRequest:
    """Operations receive the goods: quantities and disposition per line; restockable units go
    back to the center they shipped from (fulfillment's `adjust_inventory`, which also offers
    them to waiting backorders). Received once: a second receipt is refused. Then the refund."""
    require(actor, Perm.RUN_OPERATIONS, "receive returns")
    received = _receive(actor=actor, return_id=return_request.pk, items=items, center=center)
    return refund_return(actor=actor, return_request=received)


def _refundable(shipment_id: int, amount: Decimal) -> Decimal:
    refunded = (
        ReturnRefund.objects.filter(shipment_id=shipment_id).aggregate(s=Sum("amount"))["s"] or ZERO
    )
    return max(amount - refunded, ZERO)


# The statuses a refund may start from, as the transition table says.
_REFUND_FROM = [s for s, targets in RETURN_TRANSITIONS.items() if S.REFUNDING in targets]


def refund_return(*, actor, return_request: ReturnRequest) -> ReturnRequest:
    """ "Refund payment" through the gateway, against the order's captured shipments (one or
    several), OUTSIDE any transaction. Claimed by a conditional UPDATE, so two at once refund
    once; every refund that reached the gateway is a ReturnRefund row, so a retry after a
    failure refunds only the rest. A failure leaves the return "refund failed", to retry."""
    claimed_from = next(
        (
            old
            for old in _REFUND_FROM
            if ReturnRequest.objects.filter(pk=return_request.pk, status=old).update(
                status=S.REFUNDING, refund_error="", modified_at=timezone.now()
            )
        ),
        None,
    )
    return_request = ReturnRequest.objects.select_related("order").get(pk=return_request.pk)
    if claimed_from is None:
        return return_request  # refunded already, or somebody is refunding it right now
    events.record(
        return_request.pk, E.RETURN_STATUS_CHANGED, actor, old=claimed_from, new=S.REFUNDING
    )
    return _refund(return_request, actor)


def _gateway_refund(gateway, *, return_request, shipment, amount, done) -> payments.AuthResult:
    """One refund call. Its reference is the same whenever the same part of the refund is
    asked again (after a worker died before recording it), so the gateway refunds it once."""
    try:
        return gateway.refund(
            capture_id=shipment.capture_id,
            amount=amount,
            reference=f"{return_request.rma_number}:{shipment.pk}:{done}",
        )
    except Exception:  # a gateway that does not answer must not leave it "refunding"
        logger.exception("refund call failed for return %s", return_request.pk)
        return payments.AuthResult(payments.Outcome.ERROR, "The payment gateway did not answer.")


def _refund(return_request: ReturnRequest, actor) -> ReturnRequest:
    """The refund of a return this process holds in "refunding": what the ReturnRefund rows do
    not cover yet goes to the gateway, shipment by shipment; then refunded or refund failed."""
    summary = selectors.refund_summary(return_request)
    done = return_request.refunds.aggregate(s=Sum("amount"))["s"] or ZERO
    remaining = summary.original_payment - done
    error = ""
    gateway = payments.get_gateway()
    if remaining > 0:
        for shipment in selectors.captured_shipments(return_request.order_id):
            if remaining <= 0:
                break
            amount = min(remaining, _refundable(shipment.pk, shipment.amount))
            if amount <= 0:
                continue
            result = _gateway_refund(
                gateway, return_request=return_request, shipment=shipment, amount=amount, done=done
            )
            if not result.approved:
                error = result.reason or "The gateway refused the refund."
                break
            # get_or_create: the same refund id recorded twice is one refund
            ReturnRefund.objects.get_or_create(
                return_request=return_request,
                refund_id=result.authorization_id,
                defaults={"shipment": shipment, "amount": amount},
            )
            remaining -= amount
            done += amount
        if not error and remaining > 0:
            error = f"The order's captured payments do not cover {remaining} more."
    with transaction.atomic():
        if error:
            logger.warning("refund failed for return %s: %s", return_request.pk, error)
            ReturnRequest.objects.filter(pk=return_request.pk).update(refund_error=error[:255])
            status.set_status(return_request, S.REFUND_FAILED, actor)
            events.record(
                return_request.pk, E.RETURN_REFUND_FAILED, actor, reason=error, refunded=str(done)
            )
        else:
            status.set_status(return_request, S.REFUNDED, actor)
            events.record(
                return_request.pk,
                E.RETURN_REFUNDED,
                actor,
                original_payment=str(done),
                store_credit=str(summary.store_credit),
            )
    return_request.refresh_from_db()
    return return_request


def _resume_refund(return_id: int, cutoff, actor) -> ReturnRequest | None:
    """Take over a stuck refund (a conditional UPDATE: one taker) and finish it."""
    claimed = ReturnRequest.objects.filter(
        pk=return_id, status=S.REFUNDING, modified_at__lt=cutoff
    ).update(modified_at=timezone.now())
    if not claimed:
        return None
    return_request = ReturnRequest.objects.select_related("order").get(pk=return_id)
    events.record(return_id, E.RETURN_REFUND_RESUMED, actor, stuck_before=str(cutoff))
    return _refund(return_request, actor)


def recover_stuck_refunds(*, now=None, actor=None, limit: int = 100) -> int:
    """Returns left "refunding" by a worker killed mid-refund (no change for
    RETURNS_REFUND_STUCK_MINUTES) are refunded to the end: the gateway is asked again with the
    same references, so a refund it made before the worker died is not made twice. Safe to
    run while it runs. Returns how many it finished (refunded or refund failed)."""
    cutoff = selectors.stuck_before(now)
    stuck = list(
        ReturnRequest.objects.filter(status=S.REFUNDING, modified_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    recovered = 0
    for return_id in stuck:
        if _resume_refund(return_id, cutoff, actor) is not None:
            recovered += 1
        heartbeat()
    return recovered


def retry_refund(*, actor, return_request: ReturnRequest) -> ReturnRequest:
    """Retry a failed refund, or take over one stuck in "refunding" (the payment-attention
    list and the receiving screen)."""
    require(actor, Perm.RUN_OPERATIONS, "retry refunds")
    return_request.refresh_from_db(fields=["status", "modified_at"])
    if (
        return_request.status == S.REFUNDING
        and return_request.modified_at < selectors.stuck_before()
    ):
        resumed = _resume_refund(return_request.pk, selectors.stuck_before(), actor)
        if resumed is not None:
            return resumed
    if return_request.status != S.REFUND_FAILED:
        raise DomainError(f"Return {return_request} has no failed refund to retry.")
    return refund_return(actor=actor, return_request=return_request)


# --- expiry ----------------------------------------------------------------------------------


def _take_back_advance_credit(return_request: ReturnRequest, actor) -> None:
    credit = selectors.refund_summary(return_request).store_credit
    if credit <= 0 or not return_request.customer_id:
        return
    entry = store_credit_reverse(
        actor=actor,
        customer_id=return_request.customer_id,
        amount=credit,
        currency=return_request.currency,
        reference=return_request.rma_number,
    )
    taken = -entry.amount if entry is not None else ZERO
    events.record(
        return_request.pk,
        E.RETURN_CREDIT_ISSUED,
        actor,
        amount=str(-taken),
        reversed=True,
        not_recovered=str(credit - taken),
    )


def expire_returns(*, now=None, actor=None, limit: int = 500) -> int:
    """Approved returns whose goods never arrived within the policy's days expire; their
    quantities become returnable again, and an advance credit is taken back as far as the
    customer's balance still holds it. Idempotent; skips rows another worker holds."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=ReturnPolicy.current().expire_after_days)
    with transaction.atomic():
        due = list(
            ReturnRequest.objects.select_for_update(skip_locked=True)
            .filter(status=S.APPROVED, approved_at__lt=cutoff)
            .order_by("pk")[:limit]
        )
        for return_request in due:
            status.set_status(return_request, S.EXPIRED, actor)
            events.record(
                return_request.pk,
                E.RETURN_EXPIRED,
                actor,
                approved_at=str(return_request.approved_at),
            )
            if return_request.credit_issued_at:  # advance credit for goods that never came
                _take_back_advance_credit(return_request, actor)
    return len(due)

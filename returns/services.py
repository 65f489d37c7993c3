"""Write actions of the returns app: one function per business action, atomic, permission-checked
and audited (returns/events.py): entering a return, its refund, and the decision on it.
Receiving, the refund and expiry are in returns/receiving.py. Statuses move only through
returns/status.py (the table is returns/workflow.py).

Lock order: the return (returns/locks.py), then the order lines it returns, then inventory rows
(fulfillment takes those). No e-mail is sent inside a transaction: the RMA e-mail goes after
commit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.models import SKU
from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.money import ZERO, quantize
from core.permissions import require
from core.roles import Perm
from orders.models import Order, OrderLine, OrderStatus
from orders.services import exchange_order_create
from pricing.services import adjustment_limit_for
from returns import clawback, events, locks, receiving, refunds, rules, selectors, status
from returns.models import (
    Disposition,
    RefundMethod,
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
    ShippingRefund,
)
from returns.workflow import EDITABLE

S = ReturnStatus
MAX_QUANTITY = 9999
# Orders that may have goods to return: placed and past the cart.
RETURNABLE_ORDER_STATES = (OrderStatus.RELEASED, OrderStatus.SHIPPED)


# --- helpers ---------------------------------------------------------------------------------


def _refuse_update(return_request: ReturnRequest) -> None:
    """ "Reject return updates": after the RMA went out, and above all once goods were received
    or credit was issued, the return's lines and refund no longer change."""
    if return_request.status in EDITABLE:
        return
    if return_request.received_at or return_request.credit_issued_at:
        raise DomainError(
            f"The goods of {return_request} were received or credit was issued already; "
            "the return cannot change any more."
        )
    raise DomainError(
        f"Return {return_request} is {return_request.get_status_display().lower()}; "
        "it cannot change any more."
    )


def _editable(return_id: int) -> ReturnRequest:
    return_request = locks.lock_return(return_id)
    _refuse_update(return_request)
    return return_request


def _quantity(value) -> int:
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        raise DomainError("Enter the quantity as a whole number.", field="quantity") from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(f"The quantity must be 1 to {MAX_QUANTITY}.", field="quantity")
    return quantity


def _amount(value, currency: str, field: str = "amount") -> Decimal:
    try:
        amount = quantize(Decimal(str(value)), currency)
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("Enter the amount as a number, e.g. 10.00.", field=field) from None
    if amount < 0:
        raise DomainError("The amount must not be negative.", field=field)
    return amount


def _reason(reason) -> ReturnReason:
    if isinstance(reason, ReturnReason):
        return reason
    found = selectors.active_reasons().filter(code=str(reason or "")).first()
    if found is None:
        raise DomainError("Choose a reason for the return.", field="reason")
    return found


def _disposition(value: str) -> str:
    if value not in Disposition.values:
        raise DomainError("Choose restock, damaged or scrap.", field="disposition")
    return value


# --- create and lines ------------------------------------------------------------------------


@transaction.atomic
def create_return(
    *, actor, order: Order | None = None, customer=None, guest: dict | None = None
) -> ReturnRequest:
    """ "Create return request": from an order, or without one for a registered customer or a
    guest with contact details (a name, and an e-mail or a phone)."""
    require(actor, Perm.USE_DESK, "create returns")
    fields: dict = {}
    if order is not None:
        if order.status not in RETURNABLE_ORDER_STATES:
            raise DomainError(
                f"Order {order} is {order.get_status_display().lower()}; only shipped goods "
                "can be returned.",
                field="order",
            )
        fields = {
            "order": order,
            "customer_id": order.customer_id,
            "guest_first_name": order.guest_first_name,
            "guest_last_name": order.guest_last_name,
            "guest_email": order.guest_email,
            "guest_phone": order.guest_phone,
            "currency": order.currency,
        }
    elif customer is not None:
        fields = {"customer": customer, "refund_method": RefundMethod.STORE_CREDIT}
    else:
        guest = {k: str(v or "").strip() for k, v in (guest or {}).items()}
        if not (guest.get("first_name") and guest.get("last_name")):
            raise DomainError("Enter the guest's first and last name.", field="first_name")
        if not (guest.get("email") or guest.get("phone")):
            raise DomainError("Enter the guest's e-mail or phone.", field="email")
        fields = {f"guest_{k}": guest.get(k, "") for k in ("first_name", "last_name", "email")}
        fields["guest_phone"] = guest.get("phone", "")
    return_request = ReturnRequest.objects.create(created_by=actor, **fields)
    return_request.rma_number = f"RMA{return_request.pk:07d}"
    ReturnRequest.objects.filter(pk=return_request.pk).update(rma_number=return_request.rma_number)
    events.record(
        return_request.pk,
        E.RETURN_CREATED,
        actor,
        rma=return_request.rma_number,
        order=order.number if order else None,
    )
    return return_request


@transaction.atomic
def add_order_line(
    *,
    actor,
    return_request: ReturnRequest,
    order_line_id: int,
    quantity,
    reason,
    disposition: str = Disposition.RESTOCK,
) -> ReturnLine:
    """ "Add order item": up to what shipped less what is on other returns. The order line is
    locked, so two CSRs returning the same line at once cannot return more than shipped."""
    require(actor, Perm.USE_DESK, "change returns")
    quantity = _quantity(quantity)
    reason = _reason(reason)
    disposition = _disposition(disposition)
    return_request = _editable(return_request.pk)
    if return_request.order_id is None:
        raise DomainError("This return has no order; add catalog or ad-hoc items instead.")
    found = locks.lock_order_lines([order_line_id])
    if not found or found[0].order_id != return_request.order_id:
        raise NotFound("That line is not on the return's order.", field="order_line")
    line = found[0]
    if ReturnLine.objects.filter(return_request=return_request, order_line=line).exists():
        raise DomainError(
            f"{line.sku.code} is on this return already; change its quantity there.",
            field="order_line",
        )
    shipped = selectors.shipped_quantities([line.pk]).get(line.pk, 0)
    returned = selectors.returned_quantities([line.pk]).get(line.pk, 0)
    if quantity > shipped - returned:
        raise DomainError(
            f"{line.sku.code}: {shipped} shipped and {returned} already on returns; "
            f"at most {max(shipped - returned, 0)} can come back.",
            field="quantity",
        )
    order = return_request.order
    refund = refunds.refund_for_units(
        line_total=line.line_total,
        tax_share=selectors.line_tax_shares(order)[line.pk],
        quantity=line.quantity,
        already_returned=returned,
        count=quantity,
        currency=order.currency,
    )
    return_line = ReturnLine.objects.create(
        return_request=return_request,
        kind=ReturnLine.Kind.ORDER_LINE,
        order_line=line,
        sku=line.sku,
        quantity=quantity,
        reason=reason,
        disposition=disposition,
        merchandise_amount=refund.merchandise,
        tax_amount=refund.tax,
        paid_amount=refund.total,
        refund_amount=refund.total,
    )
    _update_order_amounts(return_request, actor)
    events.record(
        return_request.pk,
        E.RETURN_LINE_ADDED,
        actor,
        line=return_line.pk,
        order_line=line.pk,
        sku=line.sku.code,
        quantity=quantity,
        reason=reason.code,
        refund=str(refund.total),
    )
    return return_line


def _update_order_amounts(return_request: ReturnRequest, actor) -> None:
    """After the order lines on the return changed: the benefit the goods kept after every
    active return of the order no longer earn (returns/clawback.py), and the shipping charge
    when the policy refunds it, each less what the order's other returns took already."""
    order = return_request.order
    returned = selectors.returned_quantities(
        OrderLine.objects.filter(order=order).values_list("pk", flat=True)
    )
    taken = selectors.taken_by_other_returns(order.pk, exclude_return_id=return_request.pk)
    found = clawback.order_clawback(order, returned)
    amount = max(found.amount - taken["clawback"], ZERO)
    reason = found.reason[:500] if amount else ""
    if (amount, reason) != (return_request.clawback_amount, return_request.clawback_reason):
        events.record(
            return_request.pk,
            E.RETURN_CLAWBACK_CHANGED,
            actor,
            old=str(return_request.clawback_amount),
            new=str(amount),
            reason=reason,
        )
        return_request.clawback_amount, return_request.clawback_reason = amount, reason
    shipping = ZERO
    refunds_shipping = ReturnPolicy.current().refund_shipping == ShippingRefund.ALL_BACK
    if refunds_shipping and selectors.everything_shipped_is_back(order):
        shipping = max(selectors.shipping_charge(order) - taken["shipping"], ZERO)
    if shipping != return_request.shipping_amount:
        events.record(
            return_request.pk,
            E.RETURN_SHIPPING_REFUND_CHANGED,
            actor,
            old=str(return_request.shipping_amount),
            new=str(shipping),
        )
        return_request.shipping_amount = shipping
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        clawback_amount=return_request.clawback_amount,
        clawback_reason=return_request.clawback_reason,
        shipping_amount=return_request.shipping_amount,
    )


@transaction.atomic
def add_order_lines(
    *, actor, return_request: ReturnRequest, quantities: dict[int, int], reason, disposition
) -> list[ReturnLine]:
    """The screen's "pick lines and quantities": every picked line, or none (one transaction)."""
    picked = {line_id: n for line_id, n in quantities.items() if n}
    if not picked:
        raise DomainError("Enter the quantity coming back of at least one line.", field="lines")
    return [
        add_order_line(
            actor=actor,
            return_request=return_request,
            order_line_id=line_id,
            quantity=quantity,
            reason=reason,
            disposition=disposition,
        )
        for line_id, quantity in sorted(picked.items())
    ]


def _add_unpaid_line(*, actor, return_request, kind, quantity, unit_amount, reason, **item):
    quantity = _quantity(quantity)
    reason = _reason(reason)
    return_request = _editable(return_request.pk)
    amount = quantize(_amount(unit_amount, return_request.currency) * quantity)
    return_line = ReturnLine.objects.create(
        return_request=return_request,
        kind=kind,
        quantity=quantity,
        reason=reason,
        merchandise_amount=amount,
        refund_amount=amount,
        **item,
    )
    events.record(
        return_request.pk,
        E.RETURN_LINE_ADDED,
        actor,
        line=return_line.pk,
        kind=kind,
        item=return_line.label,
        quantity=quantity,
        reason=reason.code,
        refund=str(amount),
    )
    return return_line


@transaction.atomic
def add_catalog_item(
    *, actor, return_request: ReturnRequest, sku: SKU, quantity, unit_amount, reason
) -> ReturnLine:
    """ "Add catalog item": a SKU without an order line; nothing proves what was paid, so the
    return needs a supervisor (the amount rule fails)."""
    require(actor, Perm.USE_DESK, "change returns")
    return _add_unpaid_line(
        actor=actor,
        return_request=return_request,
        kind=ReturnLine.Kind.CATALOG,
        quantity=quantity,
        unit_amount=unit_amount,
        reason=reason,
        sku=sku,
    )


@transaction.atomic
def add_adhoc_item(
    *, actor, return_request: ReturnRequest, description: str, quantity, unit_amount, reason
) -> ReturnLine:
    """ "Add ad-hoc item": something not in the catalog, described by the CSR; never restocked."""
    require(actor, Perm.SUPERVISE, "add ad-hoc items to returns")
    description = (description or "").strip()
    if not description:
        raise DomainError("Describe the item.", field="description")
    return _add_unpaid_line(
        actor=actor,
        return_request=return_request,
        kind=ReturnLine.Kind.AD_HOC,
        quantity=quantity,
        unit_amount=unit_amount,
        reason=reason,
        description=description[:200],
        disposition=Disposition.SCRAP,
    )


@transaction.atomic
def remove_line(*, actor, return_line: ReturnLine) -> None:
    require(actor, Perm.USE_DESK, "change returns")
    return_request = _editable(return_line.return_request_id)
    ReturnLine.objects.filter(pk=return_line.pk).delete()
    if return_request.order_id:
        _update_order_amounts(return_request, actor)
    events.record(
        return_line.return_request_id,
        E.RETURN_LINE_REMOVED,
        actor,
        line=return_line.pk,
        item=return_line.label,
        quantity=return_line.quantity,
    )


@transaction.atomic
def adjust_refund(*, actor, return_line: ReturnLine, amount, reason: str) -> ReturnLine:
    """ "Adjust refund amount" up or down, with a reason. An order line's refund never exceeds
    what was paid for its units. A change beyond the CSR's adjustment limit (pricing's role
    limits) is kept, and the return then needs a supervisor's approval."""
    require(actor, Perm.USE_DESK, "adjust refunds")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the refund changes.", field="reason")
    return_request = _editable(return_line.return_request_id)
    line = ReturnLine.objects.select_related("sku").get(pk=return_line.pk)
    amount = _amount(amount, return_request.currency)
    if line.kind == ReturnLine.Kind.ORDER_LINE and amount > line.paid_amount:
        raise DomainError(
            f"The customer paid {line.paid_amount} for these units; the refund cannot be more.",
            field="amount",
        )
    calculated = line.merchandise_amount + line.tax_amount
    allowed, _percent, max_amount = adjustment_limit_for(actor)
    change = abs(amount - calculated)
    over_limit = change > 0 and not (allowed and (max_amount is None or change <= max_amount))
    old = line.refund_amount
    line.refund_amount = amount
    line.adjustment_reason = reason[:255]
    line.adjustment_over_limit = over_limit
    line.save(update_fields=["refund_amount", "adjustment_reason", "adjustment_over_limit"])
    events.record(
        return_request.pk,
        E.RETURN_REFUND_ADJUSTED,
        actor,
        line=line.pk,
        old=str(old),
        new=str(amount),
        reason=line.adjustment_reason,
        over_limit=over_limit,
    )
    return line


@transaction.atomic
def set_refund_method(
    *, actor, return_request: ReturnRequest, method: str, store_credit_amount=None
) -> ReturnRequest:
    """ "Update refund method": the original payment, store credit, or store credit for part and
    the rest to the original payment, or an exchange (a replacement order made at approval). A
    guest gets no store credit; without an order there is no payment to refund and nothing to
    exchange, so only store credit."""
    require(actor, Perm.USE_DESK, "change returns")
    return_request = locks.lock_return(return_request.pk)
    # the method can change till the goods come back, unless credit was issued in advance
    if return_request.status not in (*EDITABLE, S.APPROVED) or return_request.credit_issued_at:
        _refuse_update(return_request)
    if method not in RefundMethod.values:
        raise DomainError("Choose how the refund is paid.", field="refund_method")
    if return_request.exchange_order_id:
        raise DomainError(
            f"The replacement order of {return_request} exists; the refund method stays.",
            field="refund_method",
        )
    if method == RefundMethod.EXCHANGE and return_request.status not in EDITABLE:
        raise DomainError(
            "An exchange is chosen before the return is approved (its order is made then).",
            field="refund_method",
        )
    gives_credit = method in (RefundMethod.STORE_CREDIT, RefundMethod.MIXED)
    if gives_credit and return_request.customer_id is None:
        raise DomainError(
            "A guest has no account for store credit; the refund goes to the original payment.",
            field="refund_method",
        )
    if method == RefundMethod.EXCHANGE and return_request.order_id is None:
        raise DomainError(
            "An exchange replaces goods of an order; find the order.", field="refund_method"
        )
    if (
        method in (RefundMethod.ORIGINAL_PAYMENT, RefundMethod.MIXED)
        and not return_request.order_id
    ):
        raise DomainError(
            "Without an order there is no payment to refund; choose store credit.",
            field="refund_method",
        )
    credit = ZERO
    if method == RefundMethod.MIXED:
        credit = _amount(store_credit_amount, return_request.currency, "store_credit_amount")
        if credit <= 0:
            raise DomainError("Enter the store credit part.", field="store_credit_amount")
    old = return_request.refund_method
    return_request.refund_method = method
    return_request.store_credit_amount = credit
    return_request.save(update_fields=["refund_method", "store_credit_amount", "modified_at"])
    events.record(
        return_request.pk,
        E.RETURN_REFUND_METHOD_SET,
        actor,
        old=old,
        new=method,
        store_credit=str(credit),
    )
    return return_request


# --- approval --------------------------------------------------------------------------------


def _queue_rma_email(return_id: int) -> None:
    from returns import tasks  # tasks import this module

    transaction.on_commit(lambda: tasks.send_rma_email.delay(return_id))


def _approve(return_request: ReturnRequest, actor, **data) -> None:
    status.set_status(return_request, S.APPROVED, actor, **data)
    return_request.approved_at = timezone.now()
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        approved_at=return_request.approved_at
    )
    events.record(return_request.pk, E.RETURN_APPROVED, actor, **data)
    if return_request.refund_method == RefundMethod.EXCHANGE:
        _create_exchange(return_request, actor)
    if ReturnPolicy.current().advance_credit:  # the store credits at approval (advance credit)
        receiving.issue_store_credit(return_request, actor, advance=True)
    _queue_rma_email(return_request.pk)


def _create_exchange(return_request: ReturnRequest, actor) -> None:
    """ "An exchange creates a replacement order at the returned price": the returned order
    lines again, at what the customer paid for the returned units (merchandise and tax), never
    repriced; linked both ways (the return's exchange_order, the order's exchange_for)."""
    lines = [
        line
        for line in selectors.return_lines(return_request)
        if line.kind == ReturnLine.Kind.ORDER_LINE
    ]
    if not lines:
        raise DomainError("An exchange replaces items of the order; add them first.")
    items = [
        {
            "order_line_id": line.order_line_id,
            "quantity": line.quantity,
            "merchandise": line.merchandise_amount,
            "tax": line.tax_amount,
        }
        for line in lines
    ]
    replacement = exchange_order_create(
        actor=actor,
        source=return_request.order,
        items=items,
        reference=return_request.rma_number,
    )
    return_request.exchange_order = replacement
    ReturnRequest.objects.filter(pk=return_request.pk).update(exchange_order=replacement)
    events.record(
        return_request.pk,
        E.RETURN_EXCHANGE_CREATED,
        actor,
        order=replacement.number,
        total=str(replacement.total),
    )


@transaction.atomic
def submit_return(*, actor, return_request: ReturnRequest) -> ReturnRequest:
    """Submit the return: "Approve automatically" when every store rule passes (each rule's
    result is kept and shown); otherwise it waits in the supervisor queue."""
    require(actor, Perm.USE_DESK, "submit returns")
    return_request = _editable(return_request.pk)
    if not ReturnLine.objects.filter(return_request=return_request).exists():
        raise DomainError("Add at least one item to return.", field="lines")
    nobody_to_pay = return_request.order_id is None and return_request.customer_id is None
    if nobody_to_pay and selectors.refund_summary(return_request).total > 0:
        raise DomainError(
            "A guest return without an order has no payment to refund and no account for "
            "store credit: find the order, or adjust the refunds to 0 and tell the caller "
            "that no refund will be issued.",
            field="refund_method",
        )
    if return_request.order_id:
        locks.lock_order_lines(
            ReturnLine.objects.filter(return_request=return_request).values_list(
                "order_line_id", flat=True
            )
        )
    checks = [c.as_dict() for c in rules.approval_checks(return_request)]
    return_request.approval_checks = checks
    ReturnRequest.objects.filter(pk=return_request.pk).update(approval_checks=checks)
    events.record(return_request.pk, E.RETURN_APPROVAL_CHECKED, actor, checks=checks)
    if all(c["passed"] for c in checks):
        _approve(return_request, actor, automatic=True, summary=rules.summary(checks))
    elif return_request.status == S.DRAFT:
        status.set_status(return_request, S.PENDING_APPROVAL, actor, summary=rules.summary(checks))
    return return_request


@transaction.atomic
def approve_return(*, actor, return_request: ReturnRequest, comment: str = "") -> ReturnRequest:
    """ "Approve return manually": a supervisor approves a return the rules did not."""
    require(actor, Perm.SUPERVISE, "approve returns")
    return_request = locks.lock_return(return_request.pk)
    comment = (comment or "").strip()[:255]
    return_request.decision_comment = comment
    ReturnRequest.objects.filter(pk=return_request.pk).update(decision_comment=comment)
    _approve(return_request, actor, automatic=False, comment=comment)
    return return_request


@transaction.atomic
def deny_return(*, actor, return_request: ReturnRequest, comment: str) -> ReturnRequest:
    """A supervisor denies the return, saying why (the CSR tells the customer)."""
    require(actor, Perm.SUPERVISE, "deny returns")
    comment = (comment or "").strip()[:255]
    if not comment:
        raise DomainError("Say why the return is denied.", field="comment")
    return_request = locks.lock_return(return_request.pk)
    status.set_status(return_request, S.DENIED, actor, comment=comment)
    return_request.decision_comment = comment
    ReturnRequest.objects.filter(pk=return_request.pk).update(decision_comment=comment)
    events.record(return_request.pk, E.RETURN_DENIED, actor, comment=comment)
    return return_request


def rma_email_send(*, return_id: int) -> bool:
    """ "Notify customer about RMA number": the lines, the refund estimate and how to send the
    goods back; sent once (claimed by rma_emailed_at). False if sent already or no address."""
    with transaction.atomic():
        claimed = ReturnRequest.objects.filter(pk=return_id, rma_emailed_at__isnull=True).update(
            rma_emailed_at=timezone.now()
        )
        if not claimed:
            return False
        return_request = ReturnRequest.objects.select_related("customer", "order").get(pk=return_id)
        to = return_request.contact_email
        if not to:
            return False
        body = render_to_string(
            "returns/email/rma.txt",
            {
                "return": return_request,
                "lines": selectors.return_lines(return_request),
                "refund": selectors.refund_summary(return_request),
                "store_name": settings.STORE_NAME,
                "expire_after_days": ReturnPolicy.current().expire_after_days,
            },
        )
        send_mail(
            f"Your return {return_request.rma_number} — {settings.STORE_NAME}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [to],
        )  # a failure raises: the claim rolls back and the task retries
        events.record(return_id, E.RETURN_RMA_EMAILED, None, to=to)
    return True

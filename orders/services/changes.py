"""Change an order after submit, in place: same number, a new version, the payment delta.

`order_change` takes one `ChangeRequest` (quantities, lines added or canceled, a ship-to's
address or shipping method, the ATP choice, a new card) against the version the CSR saw:

1. Preview, in a transaction that is rolled back: apply the change, reprice, read the new total.
   Nothing is kept; a change that cannot be made is refused here with its reason.
2. Outside any transaction: the payment delta. An increase is authorized for the difference
   (`increment`) on the open authorization, or the new total in full where the gateway cannot
   increment; a new card is authorized for the new total. A decline leaves the order exactly as
   it was (one ORDER_CHANGE_REFUSED event in the timeline says why).
3. In one transaction: claim the order at the version the CSR saw (a second CSR, or the release
   job, that changed it meanwhile makes this a StaleVersion: nothing is overwritten), apply the
   change again (inventory allocations in the same transaction), reprice, check the total is the
   one authorized, write the payment, record the new version and the events; after commit the
   old authorization is reduced or voided and the customer gets the "order changed" e-mail.
   If this step fails, the authorization taken in step 2 is given back.

Repricing after submit prices the order as of its submit time (`Order.submitted_at`): the price
lists and promotions it was placed with are kept, a later price-list change does not reprice its
lines, and a promotion whose condition the change breaks no longer applies; promotion uses and
coupons then follow as at submit (pricing's `settle_changed_usage`; docs/order-changes.md). A
total raised over a business account's credit limit places a credit-limit hold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import payments
from core.errors import DomainError, NotFound, StaleVersion
from core.events import EventType as E
from core.permissions import require
from core.roles import CHANGE_PLACED_ORDER
from orders import allocation, events
from orders import integrations as ext
from orders import pricing as order_pricing
from orders.models import (
    AvailabilityChoice,
    HoldType,
    Order,
    OrderAddress,
    OrderLine,
    OrderPayment,
    OrderVersion,
    PaymentStatus,
)
from orders.models import LineInventoryStatus as L
from orders.models import OrderStatus as S
from orders.services import holds, versions
from orders.services._common import _address_data, _quantity
from orders.services.comments import order_email
from orders.services.lines import _find_sku
from orders.status import orders_follow, transition_lines, transition_order
from pricing.models import ShippingMethod

logger = logging.getLogger(__name__)

CHANGEABLE_STATES = (S.AUTHORIZED, S.PAYMENT_REVIEW, S.BACKORDERED, S.RELEASED)
FROZEN_LINE_STATES = (L.RELEASED, L.SHIPPED)
OPEN_AUTHORIZATIONS = (PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW)


class PaymentDeclined(DomainError):
    code = "payment_declined"
    http_status = 402


@dataclass
class ChangeRequest:
    """One change, as the CSR asked for it. Empty parts change nothing."""

    quantities: dict[int, int] = field(default_factory=dict)  # line id -> new quantity
    cancel_lines: list[int] = field(default_factory=list)
    add: list[tuple[str, int]] = field(default_factory=list)  # (SKU code, quantity)
    ship_to_id: int | None = None  # the ship-to whose address or method changes
    ship_to_address: dict | None = None
    shipping_method_code: str = ""
    atp_choice: str = ""
    card: dict | None = None  # card_number, exp_month, exp_year, cvv
    approve_adjustments: bool = False  # a supervisor approves the adjustments held for
    reason: str = ""

    @property
    def empty(self) -> bool:
        return not (
            self.quantities
            or self.cancel_lines
            or self.add
            or self.ship_to_address
            or self.shipping_method_code
            or self.atp_choice
            or self.card
            or self.approve_adjustments
        )


@dataclass
class ChangeResult:
    order: Order
    version: OrderVersion
    diff: versions.VersionDiff
    payment_note: str = ""
    held_for: str = ""  # why this change put the order on hold (the credit limit), to tell


class _Preview(Exception):  # rolls the preview transaction back, carrying what it found
    def __init__(self, total: Decimal, payment: OrderPayment | None):
        super().__init__("preview")
        self.total = total
        self.payment = payment


# --- applying a change (inside a transaction, the order claimed) ------------------------------


def _refuse_frozen(line: OrderLine) -> None:
    if line.inventory_status in FROZEN_LINE_STATES:
        raise DomainError(
            f"Line {line.sku.code} is {line.get_inventory_status_display().lower()} to the "
            "warehouse and can no longer change; the rest of the order can.",
            field=f"line_{line.pk}",
        )
    if line.inventory_status == L.CANCELED:
        raise DomainError(f"Line {line.sku.code} is already canceled.", field=f"line_{line.pk}")
    if line.is_gift:
        raise DomainError(
            "A free gift follows its promotion; change the qualifying items.",
            field=f"line_{line.pk}",
        )


def _line_of(lines: dict[int, OrderLine], line_id) -> OrderLine:
    try:
        line = lines.get(int(line_id))
    except (TypeError, ValueError):
        line = None
    if line is None:
        raise NotFound("That line is not on this order.", field="line")
    return line


def _cancel_lines(order: Order, lines: dict, ids, actor) -> None:
    for line_id in ids:
        line = _line_of(lines, line_id)
        _refuse_frozen(line)
        allocation.deallocate_line(line=line, actor=actor)
        transition_lines({line.pk: line.inventory_status}, L.CANCELED)
        OrderLine.objects.filter(pk=line.pk).update(
            discount_total=Decimal("0.00"), line_total=Decimal("0.00")
        )
        line.inventory_status = L.CANCELED
        events.record(
            order.pk,
            E.ORDER_LINE_CANCELED,
            actor,
            line=line.pk,
            sku=line.sku.code,
            quantity=line.quantity,
        )


def _change_quantities(order: Order, lines: dict, quantities: dict, actor) -> None:
    for line_id, value in quantities.items():
        line = _line_of(lines, line_id)
        qty = _quantity(value)
        if qty == line.quantity:
            continue
        _refuse_frozen(line)
        old = line.quantity
        line.quantity = qty
        line.save(update_fields=["quantity"])
        allocation.allocate_line(line=line, actor=actor)
        events.record(
            order.pk,
            E.ORDER_LINE_CHANGED,
            actor,
            line=line.pk,
            sku=line.sku.code,
            old={"quantity": old},
            new={"quantity": qty},
            after_submit=True,
        )


def _add_lines(order: Order, add, actor) -> None:
    ship_to = order.current_ship_to_id or (
        OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.SHIPPING)
        .values_list("pk", flat=True)
        .first()
    )
    for code, quantity in add:
        qty = _quantity(quantity)
        sku = _find_sku(code)
        ext.ensure_buyable(sku)
        line = OrderLine.objects.create(order=order, sku=sku, quantity=qty, ship_to_id=ship_to)
        line.sku = sku
        allocation.allocate_cart_line(line=line, actor=actor)
        events.record(
            order.pk,
            E.ORDER_LINE_ADDED,
            actor,
            line=line.pk,
            sku=sku.code,
            quantity=qty,
            after_submit=True,
        )


def _change_ship_to(order: Order, req: ChangeRequest, actor) -> None:
    ship_to_id = req.ship_to_id or order.current_ship_to_id
    addr = OrderAddress.objects.filter(
        order=order, pk=ship_to_id, kind=OrderAddress.Kind.SHIPPING
    ).first()
    if addr is None:
        raise NotFound("That ship-to address is not on this order.", field="ship_to")
    lines = list(OrderLine.objects.filter(ship_to=addr).select_related("sku"))
    for line in lines:
        if line.inventory_status in FROZEN_LINE_STATES:
            raise DomainError(
                f"Line {line.sku.code} to this address is already released to the warehouse; "
                "its address and shipping method can no longer change.",
                field="ship_to",
            )
    old = {"address": str(addr), "method": str(addr.shipping_method or "")}
    if req.ship_to_address:
        for name, value in _address_data(req.ship_to_address).items():
            setattr(addr, name, value)
    if req.shipping_method_code:
        method = ShippingMethod.objects.filter(
            code=req.shipping_method_code, is_active=True
        ).first()
        if method is None:
            raise NotFound("No such shipping method.", field="shipping_method")
        addr.shipping_method = method
    addr.save()
    for line in lines:  # where it ships decides where it is picked: allocate again
        if line.inventory_status != L.CANCELED:
            allocation.deallocate_line(line=line, actor=actor)
            allocation.allocate_line(line=line, actor=actor)
    events.record(
        order.pk,
        E.ORDER_SHIP_TO_SET,
        actor,
        ship_to=addr.pk,
        old=old,
        new={"address": str(addr), "method": str(addr.shipping_method or "")},
        after_submit=True,
    )


def _apply(order: Order, req: ChangeRequest, actor) -> None:
    """Apply the change to the claimed order: lines, ship-to, ATP, then reprice and the status
    that follows from the lines."""
    lines = {
        line.pk: line
        for line in OrderLine.objects.filter(order=order).select_related("sku", "ship_to")
    }
    if req.cancel_lines:
        _cancel_lines(order, lines, req.cancel_lines, actor)
    if req.quantities:
        _change_quantities(order, lines, req.quantities, actor)
    if req.add:
        _add_lines(order, req.add, actor)
    if req.ship_to_address or req.shipping_method_code:
        _change_ship_to(order, req, actor)
    if req.atp_choice and req.atp_choice != order.atp_choice:
        if req.atp_choice not in AvailabilityChoice.values:
            raise DomainError("Choose one of the three availability options.", field="atp")
        old = order.atp_choice
        Order.objects.filter(pk=order.pk).update(atp_choice=req.atp_choice)
        order.atp_choice = req.atp_choice
        allocation.apply_atp_choice(order=order, choice=req.atp_choice, actor=actor)
        events.record(order.pk, E.ORDER_ATP_CHOICE_SET, actor, old=old, new=req.atp_choice)
    if req.approve_adjustments:
        _approve_adjustments(order, actor)
    active = OrderLine.objects.filter(order=order, is_gift=False).exclude(
        inventory_status=L.CANCELED
    )
    if not active.exists():
        raise DomainError("This change cancels every line; cancel the order instead.")
    priced = order_pricing.reprice_order(order=order, actor=actor, now=order.submitted_at)
    order_pricing.settle_change_pricing(order=order, priced=priced, actor=actor)
    _follow_lines(order, actor)


def _approve_adjustments(order: Order, actor) -> None:
    """The adjustments an order was held for (over the CSR's limit) are approved."""
    pending = [a for a in ext.order_adjustments(order) if a.status == "pending"]
    if not pending:
        raise DomainError("No adjustment on this order waits for approval.")
    lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    for adjustment in pending:
        line = lines.get(adjustment.line_id) if adjustment.line_id else None
        ext.approve_adjustment(
            adjustment_id=adjustment.pk,
            order=order_pricing.amounts_of(order, line),
            actor=actor,
        )


def _follow_lines(order: Order, actor) -> None:
    """An authorized order with a line now backordered becomes backordered; a backordered one
    whose lines all have stock becomes authorized again."""
    backordered = OrderLine.objects.filter(order=order, inventory_status=L.BACKORDERED).exists()
    if backordered and order.status == S.AUTHORIZED:
        transition_order(order, S.BACKORDERED, actor=actor, why="changed after submit")
    elif not backordered and order.status == S.BACKORDERED:
        orders_follow([order.pk], actor=actor)


def _claim(order_id: int, version: int) -> Order:
    """Lock the order at the version the CSR saw; anything else is told, never overwritten."""
    updated = Order.objects.filter(
        pk=order_id, version=version, status__in=CHANGEABLE_STATES
    ).update(version=F("version") + 1, modified_at=timezone.now())
    current = Order.objects.select_for_update().filter(pk=order_id).first()
    if current is None:
        raise NotFound("This order does not exist.")
    if updated:
        return current
    if current.status not in CHANGEABLE_STATES:
        raise DomainError(
            f"Order {current} is {current.get_status_display().lower()}; it can no longer change.",
            extra={"version": current.version},
        )
    raise StaleVersion(
        f"Order {current} changed since you opened it (version {current.version}, you had "
        f"{version}); nothing was changed. Here is the current order: make the change again.",
        extra={"version": current.version},
    )


def _open_payment(order: Order) -> OrderPayment | None:
    return (
        OrderPayment.objects.filter(order=order, status__in=OPEN_AUTHORIZATIONS)
        .order_by("-pk")
        .first()
    )


# --- the service ------------------------------------------------------------------------------


def _preview(order_id: int, version: int, req: ChangeRequest, actor) -> _Preview:
    try:
        with transaction.atomic():
            order = _claim(order_id, version)
            _apply(order, req, actor)
            order.refresh_from_db()
            raise _Preview(order.total, _open_payment(order))
    except _Preview as preview:
        return preview


@dataclass
class _Authorized:
    """What step 2 did at the gateway, to keep (step 3) or give back (on failure)."""

    kind: str  # "none", "increment", "reauth", "new_card", "decrease"
    amount: Decimal
    auth: payments.AuthResult | None = None
    token: payments.CardToken | None = None


def _authorize(order: Order, payment, old_total, new_total, token, reference) -> _Authorized:
    gateway = payments.get_gateway()
    delta = new_total - old_total
    if token is not None:
        auth = gateway.authorize(
            token=token.token,
            amount=new_total,
            currency=order.currency,
            billing_address=None,
            reference=reference,
        )
        return _Authorized("new_card", new_total, auth, token)
    if payment is None or delta == 0:
        return _Authorized("none", delta)
    if delta < 0:
        return _Authorized("decrease", -delta)
    try:
        auth = gateway.increment(
            token=payment.gateway_token,
            authorization_id=payment.authorization_id,
            amount=delta,
            currency=order.currency,
            reference=reference,
        )
        return _Authorized("increment", delta, auth)
    except NotImplementedError:
        auth = gateway.authorize(
            token=payment.gateway_token,
            amount=new_total,
            currency=order.currency,
            billing_address=None,
            reference=reference,
        )
        return _Authorized("reauth", new_total, auth)


def _give_back(done: _Authorized, payment) -> None:
    """Step 3 failed: undo what step 2 authorized."""
    if done.auth is None or not done.auth.approved:
        return
    gateway = payments.get_gateway()
    try:
        if done.kind == "increment":
            gateway.reduce(authorization_id=payment.authorization_id, amount=done.amount)
        elif done.kind in ("reauth", "new_card"):
            gateway.void(authorization_id=done.auth.authorization_id)
    except Exception:
        logger.warning("giving back the authorization of a failed change failed")


def _refused(order_id: int, actor, reason: str, card: str = "") -> None:
    events.record(order_id, E.ORDER_CHANGE_REFUSED, actor, reason=reason, card=card)


def _card_token(req: ChangeRequest):
    if not req.card:
        return None
    card = payments.check_card(
        number=req.card.get("card_number", ""),
        exp_month=req.card.get("exp_month"),
        exp_year=req.card.get("exp_year"),
        cvv=req.card.get("cvv", ""),
    )
    try:
        return payments.get_gateway().tokenize(card)
    except Exception:
        raise DomainError(
            "The payment gateway did not answer; try the card again in a minute.",
            field="card_number",
        ) from None


def order_change(*, actor, order: Order | int, version, request: ChangeRequest) -> ChangeResult:
    """Change a placed order in place (see the module's steps); returns the new version."""
    require(actor, CHANGE_PLACED_ORDER, "change placed orders")
    order_id = order if isinstance(order, int) else order.pk
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise DomainError(
            "Say which version of the order you are changing.", field="version"
        ) from None
    if request.empty:
        raise DomainError("Nothing to change.")
    token = _card_token(request)
    before = Order.objects.filter(pk=order_id).first()
    if before is None:
        raise NotFound("This order does not exist.")
    try:
        preview = _preview(order_id, version, request, actor)
    except ext.PricingChanged as lost:  # a promotion the change earns ran out meanwhile
        _refused(order_id, actor, lost.message)
        raise
    payment = preview.payment
    reference = f"change-{order_id}-v{version}"
    try:
        done = _authorize(before, payment, before.total, preview.total, token, reference)
    except Exception:
        logger.warning("payment gateway failed on a change of order %s", order_id)
        done = _Authorized(
            "none",
            Decimal(0),
            payments.AuthResult(
                payments.Outcome.ERROR,
                "The payment gateway did not answer; nothing was changed. Try again shortly.",
            ),
        )
    if done.auth is not None and not done.auth.approved:
        _refused(order_id, actor, done.auth.reason, card=token.last4 if token else "")
        raise PaymentDeclined(
            f"{done.auth.reason} The order was not changed.",
            field="card_number" if token else "payment",
        )
    try:
        return _commit(order_id, version, request, actor, done, before.total, preview.total)
    except Exception as failed:
        _give_back(done, payment)
        if isinstance(failed, ext.PricingChanged):
            _refused(order_id, actor, failed.message)
        raise


@transaction.atomic
def _commit(order_id, version, req, actor, done: _Authorized, old_total, expected) -> ChangeResult:
    order = _claim(order_id, version)
    _apply(order, req, actor)
    order.refresh_from_db()
    if order.total != expected:
        raise StaleVersion(
            f"Prices changed while the card was authorized (now {order.total}); nothing was "
            "changed. Check and make the change again.",
            extra={"version": version},
        )
    note = _write_payment(order, done, actor)
    held = None
    if order.total > old_total:  # more to owe: checked against a business account's limit
        held = holds.credit_limit_hold(order=order, actor=actor, rule="change: credit limit")
    previous = OrderVersion.objects.filter(order=order).order_by("-number").first()
    new = versions.record_version(order=order, actor=actor, reason=req.reason or "changed")
    diff = versions.version_diff(previous, new)
    events.record(
        order.pk,
        E.ORDER_CHANGED,
        actor,
        version=new.number,
        old_total=str(old_total),
        new_total=str(order.total),
        delta=str(new.delta),
        reason=req.reason,
    )
    from orders import tasks  # tasks import the services: imported when queued

    number = new.number
    transaction.on_commit(lambda: tasks.send_order_changed.delay(order_id, number))
    order.refresh_from_db()
    return ChangeResult(order, new, diff, note, held.reason if held else "")


def _write_payment(order: Order, done: _Authorized, actor) -> str:
    """Record step 2's answer on the payment rows; gateway calls that give money back are
    queued for after commit."""
    payment = _open_payment(order)
    gateway = payments.get_gateway()
    if done.kind == "none" or (payment is None and done.kind != "new_card"):
        return ""
    if done.kind == "decrease":
        OrderPayment.objects.filter(pk=payment.pk).update(amount=order.total)
        auth_id, amount = payment.authorization_id, done.amount
        transaction.on_commit(lambda: _reduce_after_commit(gateway, auth_id, amount))
        note = f"Authorization reduced by {amount} to {order.total}."
    elif done.kind == "increment":
        OrderPayment.objects.filter(pk=payment.pk).update(amount=order.total)
        note = f"{done.amount} more authorized on {payment.label} ({order.total} in all)."
    else:
        note = _replace_authorization(order, payment, done, actor)
    events.record(
        order.pk,
        E.ORDER_PAYMENT_ADJUSTED,
        actor,
        kind=done.kind,
        amount=str(done.amount),
        total=str(order.total),
        note=note,
    )
    return note


def _replace_authorization(order: Order, payment, done: _Authorized, actor) -> str:
    """A full re-authorization (same card, or a new card): the new one replaces the old, which
    is voided after commit."""
    gateway = payments.get_gateway()
    review = done.auth.outcome == payments.Outcome.AVS_MISMATCH
    src = done.token or payment
    new = OrderPayment.objects.create(
        order=order,
        gateway=gateway.name,
        gateway_token=done.token.token if done.token else payment.gateway_token,
        brand=src.brand,
        last4=src.last4,
        exp_month=src.exp_month,
        exp_year=src.exp_year,
        stored_method_id=None if done.token else payment.stored_method_id,
        status=PaymentStatus.REVIEW if review else PaymentStatus.AUTHORIZED,
        amount=order.total,
        authorization_id=done.auth.authorization_id,
        avs_code=done.auth.avs_code,
        reason=done.auth.reason,
    )
    if payment is not None:
        OrderPayment.objects.filter(pk=payment.pk).update(status=PaymentStatus.REPLACED)
        old_id = payment.authorization_id
        transaction.on_commit(lambda: _void_after_commit(gateway, old_id))
    if review:
        holds.place_system_hold(
            order=order,
            hold_type=HoldType.PAYMENT_REVIEW,
            reason=done.auth.reason,
            rule="change: AVS",
            actor=actor,
        )
    if done.token:
        events.record(order.pk, E.ORDER_PAYMENT_SET, actor, new=new.label, after_submit=True)
        return f"{new.label} authorized for {order.total}; the old card's authorization voided."
    return f"{order.total} authorized again on {new.label}; the old authorization voided."


def _reduce_after_commit(gateway, auth_id, amount) -> None:
    try:
        gateway.reduce(authorization_id=auth_id, amount=amount)
    except NotImplementedError:
        pass  # the authorization stays larger than the order; capture takes only what ships
    except Exception:
        logger.warning("reducing authorization %s failed", auth_id)


def _void_after_commit(gateway, auth_id) -> None:
    try:
        gateway.void(authorization_id=auth_id)
    except Exception:
        logger.warning("voiding authorization %s failed", auth_id)


# --- the e-mail ---------------------------------------------------------------------------------


def order_changed_send(*, order_id: int, version: int) -> bool:
    """The "order changed" e-mail with the diff of `version` from the one before; once."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    order = Order.objects.select_related("customer").get(pk=order_id)
    sent = order.events.filter(event_type=E.ORDER_CHANGE_EMAILED, data__version=version)
    if sent.exists():
        return False
    to = order_email(order)
    new = OrderVersion.objects.filter(order=order, number=version).first()
    if not to or new is None:
        return False
    old = OrderVersion.objects.filter(order=order, number=version - 1).first()
    diff = versions.version_diff(old, new)
    body = render_to_string(
        "orders/email/changed.txt",
        {"order": order, "version": new, "diff": diff, "store": settings.STORE_NAME},
    )
    send_mail(
        f"Your order {order.number} was changed — {settings.STORE_NAME}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
    )
    events.record(order.pk, E.ORDER_CHANGE_EMAILED, None, to=to, version=version)
    return True

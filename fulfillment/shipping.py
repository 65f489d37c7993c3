"""Ship confirmation, payment capture and the ship-notify e-mail.

confirm_shipment (one transaction, release and order rows locked):
  checks everything first (unknown release, more than released, a canceled line, a tracking
  number already confirmed for the release: refused with a message, nothing written), then adds
  the Shipment ("Add to order ship history"), moves the shipped quantities, takes the goods out
  of stock (on hand and allocated go down together), moves lines/order to `shipped` when all of
  their quantity has shipped, and computes the amount to capture.
After commit, OUTSIDE any transaction, capture_shipment asks the gateway to capture that
amount. Idempotency per shipment: the shipment is claimed `pending|failed -> capturing` by a
conditional UPDATE, so a retry (or two at once) never captures twice. A failure marks the
shipment `failed`, sets the order's `attention` and writes an event: the order shows in
"Find orders requiring payment attn" (fulfillment/attention.py) where it is retried.

Amount captured per shipment: the shipped share of each line total; the shipment that completes
the order captures the remainder (shipping, tax, rounding), so the captures add up to the total.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.money import quantize
from core.permissions import require
from core.roles import Perm

logger = logging.getLogger(__name__)

CARRIERS = ("Canada Post", "Purolator", "UPS", "FedEx", "DHL", "Other")


def _order_event(order_id, event_type, actor, **data):
    from orders.models import OrderEvent

    return OrderEvent.objects.create(
        order_id=order_id, event_type=int(event_type), actor=actor, data=data
    )


def _parse_items(items, release_lines, order_lines) -> dict[int, int]:
    """items: [{"line": <order line id> or "release_line": <id>, "quantity": n}] or None (all
    that is open). Returns {release_line_id: quantity}; raises DomainError on bad input."""
    if items is None:
        wanted = {rl.pk: rl.open_quantity for rl in release_lines if rl.open_quantity}
        if not wanted:
            raise DomainError("Everything on this release has already shipped.")
        return wanted
    by_rl = {rl.pk: rl for rl in release_lines}
    by_line = {rl.line_id: rl for rl in release_lines}
    wanted: dict[int, int] = defaultdict(int)
    for item in items:
        try:
            quantity = int(item.get("quantity", 0))
        except (TypeError, ValueError):
            raise DomainError("Quantities must be whole numbers.", field="lines") from None
        rl = None
        if item.get("release_line") is not None:
            rl = by_rl.get(_int(item["release_line"]))
        elif item.get("line") is not None:
            line_id = _int(item["line"])
            rl = by_line.get(line_id)
            if rl is None and line_id in order_lines and order_lines[line_id] == "canceled":
                raise DomainError(
                    f"Line {line_id} is canceled; nothing of it can ship.", field="lines"
                )
        if rl is None:
            raise DomainError(
                f"Line {item.get('line') or item.get('release_line')} is not on this release.",
                field="lines",
            )
        if order_lines.get(rl.line_id) == "canceled":
            raise DomainError(f"Line {rl.line_id} is canceled; nothing of it can ship.")
        if quantity < 0:
            raise DomainError("Quantities cannot be negative.", field="lines")
        wanted[rl.pk] += quantity
    wanted = {k: v for k, v in wanted.items() if v}
    if not wanted:
        raise DomainError("Say how many of at least one line shipped.", field="lines")
    for rl_id, quantity in wanted.items():
        rl = by_rl[rl_id]
        if quantity > rl.open_quantity:
            raise DomainError(
                f"Only {rl.open_quantity} of {rl.sku.code} remain to ship on this release "
                f"({quantity} confirmed). Nothing was recorded.",
                field="lines",
            )
    return wanted


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _take_from_stock(shipped: dict[int, int], release_lines: dict) -> None:
    """The goods left the building: lower on hand and allocated, shrink the allocation rows."""
    from fulfillment.inventory import locks
    from fulfillment.models import Inventory, LineAllocation

    by_line = defaultdict(list)
    allocs = LineAllocation.objects.filter(
        line_id__in=[release_lines[r].line_id for r in shipped], kind="on_hand"
    ).order_by("pk")
    for alloc in allocs:
        by_line[(alloc.line_id, alloc.center_id)].append(alloc)
    take_inv: dict[int, int] = defaultdict(int)
    for rl_id, quantity in shipped.items():
        rl = release_lines[rl_id]
        open_before = rl.quantity - rl.shipped_quantity + quantity  # before this shipment
        for alloc in by_line.get((rl.line_id, rl.center_id), []):
            # this line's share of the allocation row, in the row's units (kits: components)
            take = (
                alloc.quantity
                if quantity == open_before
                else alloc.quantity * quantity // open_before
            )
            if take <= 0:
                continue
            take_inv[alloc.inventory_id] += take
            if take >= alloc.quantity:
                alloc.delete()
            else:
                LineAllocation.objects.filter(pk=alloc.pk).update(quantity=F("quantity") - take)
    rows = locks.lock_inventory_rows(take_inv)
    for row in rows:
        row.on_hand -= take_inv[row.pk]
        row.allocated -= take_inv[row.pk]
    Inventory.objects.bulk_update(rows, ["on_hand", "allocated"])


def confirm_shipment(
    *, actor, release_id, carrier: str, tracking_number: str, lines=None, shipped_at=None
):
    """Confirm that a parcel of this release shipped; then capture its amount (after commit)."""
    from fulfillment.models import Release, ReleaseLine, Shipment, ShipmentLine

    require(actor, Perm.RUN_OPERATIONS, "confirm shipments")
    shipment = _record_shipment(
        actor=actor,
        release_id=release_id,
        carrier=carrier,
        tracking_number=tracking_number,
        lines=lines,
        shipped_at=shipped_at,
        models=(Release, ReleaseLine, Shipment, ShipmentLine),
    )
    capture_shipment(shipment_id=shipment.pk, actor=actor)
    shipment.refresh_from_db()
    return shipment


@transaction.atomic
def _record_shipment(*, actor, release_id, carrier, tracking_number, lines, shipped_at, models):
    from orders.models import LineInventoryStatus as L
    from orders.models import Order, OrderLine
    from orders.models import OrderStatus as S
    from orders.workflow import check_line_transition, check_order_transition

    Release, ReleaseLine, Shipment, ShipmentLine = models
    carrier = (carrier or "").strip()
    tracking_number = (tracking_number or "").strip()
    if not carrier:
        raise DomainError("Choose the carrier.", field="carrier")
    if not tracking_number or len(tracking_number) > 60:
        raise DomainError("Enter the tracking number (1-60 characters).", field="tracking_number")
    release_pk = _int(release_id)
    order_id = Release.objects.filter(pk=release_pk).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"Release {release_id} does not exist.")
    order = Order.objects.select_for_update().get(pk=order_id)  # same lock as cancel
    release = Release.objects.select_for_update().get(pk=release_pk)
    if Shipment.objects.filter(release=release, tracking_number=tracking_number).exists():
        raise DomainError(
            f"Tracking number {tracking_number} is already confirmed for release "
            f"{release.number}; nothing was recorded again.",
            field="tracking_number",
        )
    release_lines = list(
        ReleaseLine.objects.select_for_update(of=("self",))
        .filter(release=release)
        .select_related("sku")
        .order_by("pk")
    )
    order_lines = dict(
        OrderLine.objects.filter(order_id=order_id).values_list("pk", "inventory_status")
    )
    wanted = _parse_items(lines, release_lines, order_lines)
    by_pk = {rl.pk: rl for rl in release_lines}

    # --- write --------------------------------------------------------------------------------
    now = timezone.now()
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                release=release,
                order_id=order_id,
                carrier=carrier,
                tracking_number=tracking_number,
                shipped_at=shipped_at or now,
                created_by=actor,
            )
    except IntegrityError:  # the same parcel confirmed at the same moment by somebody else
        raise DomainError(
            f"Tracking number {tracking_number} is already confirmed for release {release.number}.",
            field="tracking_number",
        ) from None
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, release_line_id=k, quantity=v) for k, v in wanted.items()]
    )
    for rl_id, quantity in wanted.items():
        by_pk[rl_id].shipped_quantity += quantity
    ReleaseLine.objects.bulk_update([by_pk[k] for k in wanted], ["shipped_quantity"])
    _take_from_stock(wanted, by_pk)
    release.status = (
        Release.Status.SHIPPED
        if all(rl.open_quantity == 0 for rl in release_lines)
        else Release.Status.PARTIAL
    )
    Release.objects.filter(pk=release.pk).update(status=release.status)

    # lines whose whole quantity has shipped (over all their releases) become shipped
    touched = {by_pk[k].line_id for k in wanted}
    shipped_of = dict(
        ReleaseLine.objects.filter(line_id__in=touched)
        .values("line_id")
        .annotate(s=Sum("shipped_quantity"))
        .values_list("line_id", "s")
    )
    line_rows = {x.pk: x for x in OrderLine.objects.filter(pk__in=touched)}
    done_lines = []
    for line_id in touched:
        line = line_rows[line_id]
        if shipped_of.get(line_id, 0) >= line.quantity and line.inventory_status != L.SHIPPED:
            check_line_transition(line.inventory_status, L.SHIPPED)
            done_lines.append(line_id)
    OrderLine.objects.filter(pk__in=done_lines).update(inventory_status=L.SHIPPED)
    order_lines.update({pk: L.SHIPPED for pk in done_lines})
    order_done = all(s in (L.SHIPPED, L.CANCELED) for s in order_lines.values())

    # amount to capture
    amount = Decimal("0")
    for rl_id, quantity in wanted.items():
        line = line_rows[by_pk[rl_id].line_id]
        if line.quantity:
            amount += line.line_total * quantity / line.quantity
    amount = quantize(amount, order.currency)
    if order_done:
        before = Shipment.objects.filter(order_id=order_id).exclude(pk=shipment.pk).aggregate(
            s=Sum("amount")
        )["s"] or Decimal("0")
        amount = max(Decimal("0"), order.total - before)
    Shipment.objects.filter(pk=shipment.pk).update(amount=amount)
    shipment.amount = amount

    _order_event(
        order_id,
        E.ORDER_SHIPPED,
        actor,
        release=release.number,
        carrier=carrier,
        tracking=tracking_number,
        lines={str(by_pk[k].line_id): v for k, v in wanted.items()},
        amount=str(amount),
    )
    if order_done and order.status != S.SHIPPED:
        check_order_transition(order.status, S.SHIPPED)
        Order.objects.filter(pk=order_id).update(
            status=S.SHIPPED, version=F("version") + 1, modified_at=now
        )
        _order_event(order_id, E.ORDER_STATUS_CHANGED, actor, old=order.status, new=S.SHIPPED)
    else:
        Order.objects.filter(pk=order_id).update(version=F("version") + 1, modified_at=now)
    from fulfillment import tasks

    shipment_id = shipment.pk
    transaction.on_commit(lambda: tasks.send_ship_notification.delay(shipment_id))
    return shipment


def capture_shipment(*, shipment_id: int, actor=None):
    """Capture a shipment's amount, at most once. Safe to call again (retry) at any time."""
    from fulfillment.models import Shipment
    from orders import payments
    from orders.models import Order, OrderPayment, PaymentStatus

    C = Shipment.Capture
    claimed = Shipment.objects.filter(
        pk=shipment_id, capture_status__in=[C.PENDING, C.FAILED]
    ).update(capture_status=C.CAPTURING)
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    if not claimed:
        return shipment  # captured already, or another worker is capturing it right now
    order = shipment.order
    payment = (
        OrderPayment.objects.filter(
            order=order,
            status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW, PaymentStatus.CAPTURED],
        )
        .exclude(authorization_id="")
        .order_by("-pk")
        .first()
    )
    if shipment.amount <= 0:
        result = payments.AuthResult(payments.Outcome.APPROVED, "Nothing to capture", "")
    elif payment is None:
        result = payments.AuthResult(
            payments.Outcome.DECLINED, "The order has no authorized payment to capture."
        )
    else:
        try:
            result = payments.get_gateway().capture(
                authorization_id=payment.authorization_id, amount=shipment.amount
            )
        except Exception:
            logger.warning("capture failed for shipment %s", shipment_id)
            result = payments.AuthResult(
                payments.Outcome.ERROR, "The payment gateway did not answer."
            )
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).first()
        if result.approved:
            Shipment.objects.filter(pk=shipment_id).update(
                capture_status=C.CAPTURED,
                capture_id=result.authorization_id or "",
                capture_error="",
            )
            _order_event(
                order.pk,
                E.ORDER_PAYMENT_CAPTURED,
                actor,
                amount=str(shipment.amount),
                tracking=shipment.tracking_number,
                card=payment.label if payment else "",
            )
            open_failures = (
                Shipment.objects.filter(order=order).exclude(capture_status=C.CAPTURED).exists()
            )
            current = Order.objects.get(pk=order.pk)
            if not open_failures and current.attention.startswith("Capture"):
                Order.objects.filter(pk=order.pk).update(attention="")
            if payment and current.status == "shipped" and not open_failures:
                OrderPayment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CAPTURED)
        else:
            reason = result.reason or "declined"
            Shipment.objects.filter(pk=shipment_id).update(
                capture_status=C.FAILED, capture_error=reason[:255]
            )
            attention = (
                f"Capture of {shipment.amount} for {shipment.tracking_number} failed: {reason}"
            )
            Order.objects.filter(pk=order.pk).update(attention=attention[:255])
            _order_event(
                order.pk,
                E.ORDER_CAPTURE_FAILED,
                actor,
                amount=str(shipment.amount),
                tracking=shipment.tracking_number,
                reason=reason,
            )
    shipment.refresh_from_db()
    return shipment


def ship_notification_send(*, shipment_id: int) -> bool:
    """E-mail the tracking number once (claimed by notified_at); False if sent or no address."""
    from django.core.mail import send_mail

    from fulfillment.models import Shipment
    from orders.services import order_email

    with transaction.atomic():
        claimed = Shipment.objects.filter(pk=shipment_id, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if not claimed:
            return False
        shipment = Shipment.objects.select_related("order__customer", "release").get(pk=shipment_id)
        to = order_email(shipment.order)
        if not to:
            return False
        lines = "\n".join(
            f"  {sl.quantity} × {sl.release_line.sku.code} {sl.release_line.sku.name}"
            for sl in shipment.lines.select_related("release_line__sku")
        )
        send_mail(
            f"Your order {shipment.order.number} has shipped — {settings.STORE_NAME}",
            f"Your order {shipment.order.number} is on its way.\n\n"
            f"Carrier: {shipment.carrier}\nTracking number: {shipment.tracking_number}\n\n"
            f"{lines}\n",
            settings.DEFAULT_FROM_EMAIL,
            [to],
        )  # a failure raises: the claim rolls back and the task retries
        _order_event(
            shipment.order_id,
            E.ORDER_SHIP_NOTIFY_EMAILED,
            None,
            to=to,
            tracking=shipment.tracking_number,
        )
    return True

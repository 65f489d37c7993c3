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
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from core import payments
from core.errors import DomainError, NotFound
from core.events import EventType as E
from core.money import quantize
from core.permissions import require
from core.roles import Perm
from fulfillment import tasks
from fulfillment.inventory import locks
from fulfillment.models import (
    Inventory,
    LineAllocation,
    Release,
    ReleaseLine,
    Shipment,
    ShipmentLine,
)
from orders import events as order_events
from orders import payment_capture
from orders import selectors as order_selectors
from orders.models import LineInventoryStatus as L
from orders.services import order_email
from orders.status import mark_parcel_shipped

logger = logging.getLogger(__name__)

CARRIERS = ("Canada Post", "Purolator", "UPS", "FedEx", "DHL", "Other")


def _parse_items(items, release_lines, order_lines) -> dict[int, int]:  # noqa: C901, PLR0912 (complexity debt, listed in docs/architecture.md)
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
    require(actor, Perm.RUN_OPERATIONS, "confirm shipments")
    shipment = _record_shipment(
        actor=actor,
        release_id=release_id,
        carrier=carrier,
        tracking_number=tracking_number,
        lines=lines,
        shipped_at=shipped_at,
    )
    capture_shipment(shipment_id=shipment.pk, actor=actor)
    shipment.refresh_from_db()
    return shipment


@transaction.atomic
def _record_shipment(*, actor, release_id, carrier, tracking_number, lines, shipped_at):
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
    order = order_selectors.order_for_update(order_id)  # same lock as cancel
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
    order_lines = order_selectors.line_statuses(order_id)
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
    line_rows = order_selectors.lines_by_id(touched)
    done_lines = {
        line.pk: line.inventory_status
        for line in line_rows.values()
        if shipped_of.get(line.pk, 0) >= line.quantity and line.inventory_status != L.SHIPPED
    }
    order_lines.update({pk: L.SHIPPED for pk in done_lines})
    order_done = all(s in (L.SHIPPED, L.CANCELED) for s in order_lines.values())

    # amount to capture
    amount = Decimal("0")
    for rl_id, quantity in wanted.items():
        line = line_rows[by_pk[rl_id].line_id]
        if line.quantity:
            amount += line.line_total * quantity / line.quantity
    amount = _card_share(order, shipment, quantize(amount, order.currency), order_done)
    Shipment.objects.filter(pk=shipment.pk).update(amount=amount)
    shipment.amount = amount

    mark_parcel_shipped(
        order=order,
        shipped_lines=done_lines,
        order_done=order_done,
        actor=actor,
        release=release.number,
        carrier=carrier,
        tracking=tracking_number,
        lines={str(by_pk[k].line_id): v for k, v in wanted.items()},
        amount=str(amount),
    )
    shipment_id = shipment.pk
    transaction.on_commit(lambda: tasks.send_ship_notification.delay(shipment_id))
    return shipment


def _card_share(order, shipment, amount: Decimal, order_done: bool) -> Decimal:
    """What this shipment captures from the card: its goods, within what the card pays (the
    total less the store credit spent when the order was placed) less earlier shipments; the
    last shipment takes the rest. An exchange's replacement captures nothing."""
    card_total = order.total - min(order.store_credit_amount, order.total)
    if order.exchange_for:  # an exchange is paid by the returned goods
        card_total = Decimal("0")
    before = Shipment.objects.filter(order_id=order.pk).exclude(pk=shipment.pk).aggregate(
        s=Sum("amount")
    )["s"] or Decimal("0")
    left = max(Decimal("0"), card_total - before)
    return left if order_done else min(amount, left)


def capture_shipment(*, shipment_id: int, actor=None):
    """Capture a shipment's amount, at most once. Safe to call again (retry) at any time."""
    C = Shipment.Capture
    claimed = Shipment.objects.filter(
        pk=shipment_id, capture_status__in=[C.PENDING, C.FAILED]
    ).update(capture_status=C.CAPTURING)
    shipment = Shipment.objects.get(pk=shipment_id)
    if not claimed:
        return shipment  # captured already, or another worker is capturing it right now
    payment = order_selectors.capturable_payment(shipment.order_id)
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
        # The order first: two shipments' captures finishing at once see each other's outcome.
        order = order_selectors.order_for_update(shipment.order_id)
        if result.approved:
            Shipment.objects.filter(pk=shipment_id).update(
                capture_status=C.CAPTURED,
                capture_id=result.authorization_id or "",
                capture_error="",
            )
            open_failures = (
                Shipment.objects.filter(order_id=order.pk)
                .exclude(capture_status=C.CAPTURED)
                .exists()
            )
            payment_capture.record_capture(
                order=order,
                payment=payment,
                amount=shipment.amount,
                tracking=shipment.tracking_number,
                settled=not open_failures,
                actor=actor,
            )
        else:
            reason = result.reason or "declined"
            Shipment.objects.filter(pk=shipment_id).update(
                capture_status=C.FAILED, capture_error=reason[:255]
            )
            payment_capture.record_capture_failure(
                order=order,
                amount=shipment.amount,
                tracking=shipment.tracking_number,
                reason=reason,
                actor=actor,
            )
    shipment.refresh_from_db()
    return shipment


def ship_notification_send(*, shipment_id: int) -> bool:
    """E-mail the tracking number once (claimed by notified_at); False if sent or no address."""
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
        order_events.record(
            shipment.order_id,
            E.ORDER_SHIP_NOTIFY_EMAILED,
            None,
            to=to,
            tracking=shipment.tracking_number,
        )
    return True

"""Order versions: version 1 at submit, one more per change after it; and the diff of two.

A version keeps what the customer was promised: the lines (SKU, quantity, prices, ship-to,
inventory status), the header (ship-tos with their shipping method, ATP choice, the card) and
the totals, with the money delta from the version before. `version_diff` is pure: it compares
two versions' stored snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max

from core.money import ZERO
from orders.models import (
    Order,
    OrderAddress,
    OrderLine,
    OrderPayment,
    OrderVersion,
    PaymentStatus,
)

TOTALS = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")


def snapshot_lines(order: Order) -> list[dict]:
    return _lines_snapshot(OrderLine.objects.filter(order_id=order.pk).select_related("sku"))


def _lines_snapshot(lines) -> list[dict]:
    """The lines (in id order, their SKU joined) as a version keeps them."""
    return [
        {
            "line": line.pk,
            "sku": line.sku.code,
            "name": line.sku.name,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "discount_total": str(line.discount_total),
            "line_total": str(line.line_total),
            "ship_to": line.ship_to_id,
            "is_gift": line.is_gift,
            "status": line.inventory_status,
        }
        for line in lines
    ]


def snapshot_header(order: Order) -> dict:
    ship_tos = OrderAddress.objects.filter(
        order_id=order.pk, kind=OrderAddress.Kind.SHIPPING
    ).select_related("shipping_method")
    payment = (
        OrderPayment.objects.filter(
            order_id=order.pk,
            status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW, PaymentStatus.CAPTURED],
        )
        .order_by("-pk")
        .first()
    )
    return _header(order, ship_tos, payment)


def _header(order: Order, ship_tos, payment: OrderPayment | None) -> dict:
    return {
        "ship_tos": {
            str(a.pk): {
                "address": str(a),
                "postal_code": a.postal_code,
                "shipping_method": str(a.shipping_method) if a.shipping_method_id else "",
            }
            for a in ship_tos
        },
        "atp_choice": order.atp_choice,
        "card": payment.label if payment else "",
        "authorized": str(payment.amount) if payment else "",
    }


def record_version(*, order: Order, actor, reason: str) -> OrderVersion:
    """Write the next version of `order` (locked by the caller, totals current)."""
    fresh = Order.objects.get(pk=order.pk)
    last = (
        OrderVersion.objects.filter(order_id=order.pk)
        .order_by("-number")
        .values_list("number", "total")
        .first()
    )
    number, before = (last[0] + 1, last[1]) if last else (1, fresh.total)
    return _write(fresh, actor, reason, number=number, delta=fresh.total - before)


def record_first_version(
    *,
    placed: Order,
    actor,
    lines: list[OrderLine],
    ship_tos: list[OrderAddress],
    payment: OrderPayment | None,
) -> OrderVersion:
    """Version 1, as the order is placed: `placed` is the order as submit just wrote it (its
    row locked), with its lines (locked and allocated, their SKUs joined), its ship-tos (their
    methods joined) and the card it authorized, so none is read again; a second version 1
    breaks the unique constraint."""
    return _write(
        placed,
        actor,
        "placed",
        number=1,
        delta=ZERO,
        lines=_lines_snapshot(lines),
        header=_header(placed, ship_tos, payment),
    )


def _write(
    order: Order,
    actor,
    reason: str,
    *,
    number: int,
    delta: Decimal,
    lines: list[dict] | None = None,
    header: dict | None = None,
) -> OrderVersion:
    return OrderVersion.objects.create(
        order_id=order.pk,
        number=number,
        created_by=actor,
        reason=reason[:255],
        lines=lines if lines is not None else snapshot_lines(order),
        header=header if header is not None else snapshot_header(order),
        delta=delta,
        **{name: getattr(order, name) for name in TOTALS},
    )


def latest_version_number(order: Order) -> int:
    return OrderVersion.objects.filter(order_id=order.pk).aggregate(n=Max("number"))["n"] or 0


@dataclass
class VersionDiff:
    """What changed from one version to another: lines by line id, header fields, money."""

    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {line, sku, field: (old, new), ...}
    header: dict = field(default_factory=dict)  # {field: (old, new)}
    totals: dict = field(default_factory=dict)  # {name: (old, new)} for the totals that moved
    delta: Decimal = ZERO

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.header) and not self.delta

    def as_data(self) -> dict:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "header": {k: list(v) for k, v in self.header.items()},
            "totals": {k: list(v) for k, v in self.totals.items()},
            "delta": str(self.delta),
        }


LINE_FIELDS = ("quantity", "unit_price", "line_total", "ship_to", "status")


def diff_snapshots(old_lines, new_lines, old_header, new_header, old_totals, new_totals):
    diff = VersionDiff()
    old = {x["line"]: x for x in old_lines}
    new = {x["line"]: x for x in new_lines}
    for line_id, x in new.items():
        before = old.get(line_id)
        if before is None:
            diff.added.append(x)
            continue
        moved = {f: (before.get(f), x.get(f)) for f in LINE_FIELDS if before.get(f) != x.get(f)}
        if moved:
            diff.changed.append({"line": line_id, "sku": x["sku"], "name": x["name"], **moved})
    diff.removed = [x for line_id, x in old.items() if line_id not in new]
    for key in sorted(set(old_header) | set(new_header)):
        if key == "authorized":
            continue
        if old_header.get(key) != new_header.get(key):
            diff.header[key] = (old_header.get(key), new_header.get(key))
    for name in TOTALS:
        a, b = Decimal(str(old_totals[name])), Decimal(str(new_totals[name]))
        if a != b:
            diff.totals[name] = (str(a), str(b))
    diff.delta = Decimal(str(new_totals["total"])) - Decimal(str(old_totals["total"]))
    return diff


def version_diff(old: OrderVersion | None, new: OrderVersion) -> VersionDiff:
    """Lines added, removed and changed (by line id), header changes and the money delta."""
    if old is None:
        return VersionDiff(added=list(new.lines), delta=Decimal("0.00"))
    return diff_snapshots(
        old.lines,
        new.lines,
        old.header,
        new.header,
        {n: getattr(old, n) for n in TOTALS},
        {n: getattr(new, n) for n in TOTALS},
    )

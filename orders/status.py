"""Order and line status: the one place that writes them.

Every status change is checked against the state tables in `orders/workflow.py`, bumps the
order's version (so a screen holding an older one is refused) and is recorded in the order's
timeline. `transition_order` moves one order; `transition_orders` and `transition_lines` move
many at once for the jobs (one statement each on PostgreSQL, so a release batch of a thousand
orders costs the same few statements as one). The other apps tell orders what happened through
the functions below (`mark_orders_released`, `mark_parcel_shipped`, `orders_follow`) and never
write these rows themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.db import int_array
from core.events import EventType as E
from orders import events
from orders.models import LineInventoryStatus as L
from orders.models import Order, OrderLine
from orders.models import OrderStatus as S
from orders.workflow import check_line_transition, check_order_transition


def transition_order(
    order: Order, target: str, *, actor, set_fields: dict | None = None, **data
) -> None:
    """Move one order (as read under its row lock) to `target`; `data` goes into the event.
    `set_fields`: other columns the same step sets (written in the same UPDATE)."""
    check_order_transition(order.status, target)
    old = order.status
    Order.objects.filter(pk=order.pk).update(
        status=target, version=F("version") + 1, modified_at=timezone.now(), **(set_fields or {})
    )
    order.status = target
    order.version += 1
    for name, value in (set_fields or {}).items():
        setattr(order, name, value)
    events.status_changed(order.pk, old, target, actor, **data)


@dataclass(frozen=True)
class OrderMove:
    """One order of a bulk transition: its status before, and what its event says besides."""

    order_id: int
    old: str
    data: dict


def transition_orders(moves: list[OrderMove], target: str, *, actor) -> None:
    """Move many orders (locked by the caller) to `target`, one status event each."""
    if not moves:
        return
    for move in moves:
        check_order_transition(move.old, target)
    ids = sorted(move.order_id for move in moves)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE orders_order SET status = %s, version = version + 1, "
                "modified_at = now() WHERE id = ANY(%s::bigint[])",
                [target, int_array(ids)],
            )
    else:
        Order.objects.filter(pk__in=ids).update(
            status=target, version=F("version") + 1, modified_at=timezone.now()
        )
    events.record_many(
        (
            (move.order_id, E.ORDER_STATUS_CHANGED, {"old": move.old, "new": target, **move.data})
            for move in moves
        ),
        actor,
    )


def transition_lines(lines: Mapping[int, str], target: str) -> None:
    """Move order lines ({line id: status now}, locked by the caller) to `target`."""
    if not lines:
        return
    for current in lines.values():
        check_line_transition(current, target)
    ids = sorted(lines)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE orders_orderline SET inventory_status = %s WHERE id = ANY(%s::bigint[])",
                [target, int_array(ids)],
            )
    else:
        OrderLine.objects.filter(pk__in=ids).update(inventory_status=target)


@dataclass(frozen=True)
class ReleasedOrder:
    """An order the release job has just released (part of): what orders must record."""

    order_id: int
    status: str  # before this release
    lines: dict[int, str]  # the lines released: {line id: status before}
    releases: list[str]  # the numbers of the releases made for it


def mark_orders_released(released: list[ReleasedOrder], *, actor) -> None:
    """Lines become `released`; each order becomes `released` with a status event naming its
    releases, or, released already, gets an ORDER_RELEASED event for the releases added."""
    transition_lines({k: v for order in released for k, v in order.lines.items()}, L.RELEASED)
    transition_orders(
        [
            OrderMove(o.order_id, o.status, {"why": "release job", "releases": o.releases})
            for o in released
            if o.status != S.RELEASED
        ],
        S.RELEASED,
        actor=actor,
    )
    events.record_many(
        (
            (o.order_id, E.ORDER_RELEASED, {"releases": o.releases})
            for o in released
            if o.status == S.RELEASED
        ),
        actor,
    )


def mark_parcel_shipped(
    *, order: Order, shipped_lines: Mapping[int, str], order_done: bool, actor, **data
):
    """A parcel of the order shipped (`data` describes it for the ORDER_SHIPPED event): the
    lines whose whole quantity has shipped become `shipped`, and the order too when `order_done`
    (every line shipped or canceled); otherwise its version moves on."""
    transition_lines(shipped_lines, L.SHIPPED)
    events.record(order.pk, E.ORDER_SHIPPED, actor, **data)
    if order_done and order.status != S.SHIPPED:
        transition_order(order, S.SHIPPED, actor=actor)
    else:
        Order.objects.filter(pk=order.pk).update(
            version=F("version") + 1, modified_at=timezone.now()
        )


@transaction.atomic(savepoint=False)  # inside a caller's transaction: no savepoint needed
def orders_follow(order_ids, *, actor=None) -> None:
    """A backordered order whose active lines are all allocated (backorders were allocated, or
    moved to another order) becomes payment authorized."""
    candidates = list(
        Order.objects.select_for_update()
        .filter(pk__in=list(order_ids), status=S.BACKORDERED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not candidates:
        return
    waiting = set(
        OrderLine.objects.filter(order_id__in=candidates)
        .exclude(inventory_status__in=[L.ALLOCATED, L.RELEASED, L.SHIPPED, L.CANCELED])
        .values_list("order_id", flat=True)
    )
    transition_orders(
        [
            OrderMove(pk, S.BACKORDERED, {"why": "backorders allocated"})
            for pk in candidates
            if pk not in waiting
        ],
        S.AUTHORIZED,
        actor=actor,
    )

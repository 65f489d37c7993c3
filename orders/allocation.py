"""Orders' side of allocation: lock the lines, ask inventory, write what follows on the order.

Inventory (fulfillment/inventory/) holds the stock and knows lines only by id; it returns what
each line got. This module writes the lines' inventory status (checked against
orders/workflow.py), the order's follow-ups (a backordered order whose lines all got stock
becomes authorized) and the events. Its statements go to inventory with the allocation
(`also_write`), so a line's allocation is still one round trip to write.

Locking order, everywhere: order rows, then order lines, then inventory rows, then
expected-inventory rows, each set in primary-key order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from catalog.models import SKU
from core.db import CompiledQuery, Statement, Step, bulk_set_statement, in_step
from core.errors import DomainError, NotFound
from core.events import EventType
from core.permissions import require
from core.roles import Perm
from fulfillment.inventory import allocation as inventory
from fulfillment.inventory import selectors as inventory_selectors
from fulfillment.inventory.allocation import Held, LineResult
from fulfillment.inventory.selectors import Destination, LineStock
from fulfillment.inventory.stock import stock_freed
from orders import events
from orders import pricing as order_pricing
from orders.models import AvailabilityChoice, Order, OrderLine, QuoteStatus
from orders.models import LineInventoryStatus as L
from orders.models import OrderStatus as S
from orders.workflow import check_line_transition, check_order_transition

# Lines in these states hold (or wait for) stock; the others are out of allocation's hands.
ACTIVE_LINE_STATES = (L.UNALLOCATED, L.ALLOCATED, L.BACKORDERED)


def destination(address) -> Destination | None:
    """Where a ship-to address sends goods, as inventory reads it."""
    if address is None:
        return None
    return Destination(
        country=str(address.country),
        region=address.region or "",
        postal_code=address.postal_code or "",
        shipping_method_id=address.shipping_method_id,
        city=address.city or "",
        shipping_method_name=str(address.shipping_method) if address.shipping_method_id else "",
    )


def line_stock(line: OrderLine) -> LineStock:
    return LineStock(
        line_id=line.pk,
        sku_id=line.sku_id,
        sku_kind=line.sku.kind,
        quantity=line.quantity,
        ship_to=destination(line.ship_to),
    )


def _locking():
    return OrderLine.objects.select_for_update(of=("self",)).select_related(
        "sku", "ship_to__shipping_method"
    )


# One line, locked: what every line added or changed on a cart takes (compiled once).
_LOCK_ONE = CompiledQuery(lambda pk: _locking().filter(pk=pk), int)


def lock_lines(line_ids: Iterable[int] | None = None, **filters) -> list[OrderLine]:
    """Lock order lines (by ids, or by filters such as order=...) in pk order."""
    if line_ids is not None:
        line_ids = list(line_ids)
        if len(line_ids) == 1 and not filters:
            return _LOCK_ONE.objects(line_ids[0])
    qs = _locking()
    if line_ids is not None:
        qs = qs.filter(pk__in=line_ids)
    return list(qs.filter(**filters).order_by("pk"))


def _lock_line(line: OrderLine) -> OrderLine:
    locked = lock_lines([line.pk])
    if not locked:
        raise NotFound("That order line no longer exists.")
    return locked[0]


def _line_status_statement(values: dict[int, str]) -> Statement | None:
    return bulk_set_statement(OrderLine, "inventory_status", values, "text")


# --- allocate --------------------------------------------------------------------------------


def _allocate_locked(
    lines: list[OrderLine], *, actor, event_type=EventType.LINES_ALLOCATED
) -> dict[int, LineResult]:
    """Allocate these locked lines (in the given order: it decides who gets scarce stock); their
    new status and one event per order are written with inventory's rows."""
    for line in lines:
        if line.inventory_status not in ACTIVE_LINE_STATES:
            check_line_transition(line.inventory_status, L.ALLOCATED)  # raises with a message

    def orders_writes(results: dict[int, LineResult]) -> list[Statement | None]:
        changed = {}
        by_order: dict[int, list[dict]] = defaultdict(list)
        for line in lines:
            target = results[line.pk].status
            if line.inventory_status != target:
                check_line_transition(line.inventory_status, target)
                line.inventory_status = changed[line.pk] = target
            by_order[line.order_id].append(results[line.pk].as_data())
        return [
            _line_status_statement(changed),
            events.record_many_statement(
                [(oid, event_type, {"lines": data}) for oid, data in by_order.items()], actor
            ),
        ]

    return inventory.allocate_lines([line_stock(line) for line in lines], also_write=orders_writes)


# allocate_line / deallocate_line: no savepoint of their own (two round trips on every cart
# change). They are atomic on their own, and inside a caller's transaction a failure rolls back
# with that transaction: no caller catches their errors and goes on.
@transaction.atomic(savepoint=False)
def allocate_line(*, line: OrderLine, actor=None) -> LineResult:
    """Allocate (or re-allocate, after a quantity or ship-to change) one order line."""
    locked = _lock_line(line)
    result = _allocate_locked([locked], actor=actor)[locked.pk]
    line.inventory_status = locked.inventory_status
    return result


@transaction.atomic(savepoint=False)
def allocate_cart_lines(*, lines: list[OrderLine], actor=None) -> None:
    """(Re-)allocate these cart lines in one pass, each giving back what it held first: the
    inventory rows are locked in one ordered statement, so two carts that share SKUs cannot
    deadlock as they could line by line. Lines without a ship-to wait for one."""
    locked = lock_lines([line.pk for line in lines if line.ship_to_id is not None])
    if not locked:
        return
    _allocate_locked(locked, actor=actor)
    status = {line.pk: line.inventory_status for line in locked}
    for line in lines:
        line.inventory_status = status.get(line.pk, line.inventory_status)


def allocate_cart_line(*, line: OrderLine, actor=None) -> None:
    """Allocation depends on where the line ships: a line without a ship-to waits for one."""
    if line.ship_to_id is not None:
        allocate_line(line=line, actor=actor)


@transaction.atomic(savepoint=False)  # as allocate_line: no caller goes on after a failure
def allocate_order(
    *, order: Order, actor=None, locked: list[OrderLine] | None = None
) -> dict[int, LineResult]:
    """Allocate every active line of the order (re-allocating what it already holds).
    `locked`: the order's lines, when the caller has locked them (lock_lines) to read them
    again after: the active ones are allocated and get their new status."""
    if locked is None:
        locked = lock_lines(order=order, inventory_status__in=ACTIVE_LINE_STATES)
    active = [line for line in locked if line.inventory_status in ACTIVE_LINE_STATES]
    return _allocate_locked(active, actor=actor)


def invalidly_allocated_lines(*, order: Order) -> list[OrderLine]:
    """ "Get invalidly allocated line items": lines whose held quantity no longer equals the
    line quantity, or whose stock sits in a center that can no longer ship to the ship-to."""
    lines = list(
        order.lines.select_related("ship_to__shipping_method", "sku").filter(
            inventory_status__in=ACTIVE_LINE_STATES
        )
    )
    invalid = set(inventory_selectors.invalidly_allocated([line_stock(x) for x in lines]))
    return [
        line
        for line in lines
        if line.pk in invalid
        # a service holds nothing; it is valid once marked allocated
        or (line.sku.kind == "service" and line.inventory_status != L.ALLOCATED)
    ]


@transaction.atomic
def reallocate_invalid_lines(*, order: Order, actor=None) -> dict[int, LineResult]:
    """ "Get invalidly allocated line items" and allocate them again (ship-to or quantity
    changed, or never allocated)."""
    invalid = [
        line
        for line in invalidly_allocated_lines(order=order)
        # a line without a ship-to that holds nothing waits for one (allocate_cart_line)
        if line.ship_to_id is not None or line.inventory_status != L.UNALLOCATED
    ]
    if not invalid:
        return {}
    return _allocate_locked(lock_lines([line.pk for line in invalid]), actor=actor)


@transaction.atomic
def refresh_cart_allocation(*, order: Order, actor) -> list[str]:
    """When a CSR reopens a cart: re-allocate lines that lost their stock (swept) or whose
    allocation is no longer valid; return what changed, one sentence per line."""
    if order.status != S.PENDING:
        return []
    results = reallocate_invalid_lines(order=order, actor=actor)
    if not results:
        return []
    codes = dict(
        SKU.objects.filter(pk__in=[r.sku_id for r in results.values()]).values_list("pk", "code")
    )
    messages = []
    for r in results.values():
        if r.status == L.ALLOCATED:
            messages.append(f"{codes[r.sku_id]}: held again ({r.message.rstrip('.')}).")
        else:
            messages.append(
                f"{codes[r.sku_id]}: only {r.on_hand} of {r.quantity} available now; "
                f"{r.message.rstrip('.')}."
            )
    events.record(order.pk, EventType.CART_ALLOCATION_REFRESHED, actor, messages=messages)
    return messages


# --- release ---------------------------------------------------------------------------------


def _release_locked(lines: list[OrderLine], *, actor) -> list[Held]:
    """Give back everything these locked lines hold; allocated and backordered lines become
    unallocated; one event per order that held something."""
    order_of = {line.pk: line.order_id for line in lines}

    def orders_writes(held: list[Held]) -> list[Statement | None]:
        changed = {}
        for line in lines:
            if line.inventory_status not in (L.ALLOCATED, L.BACKORDERED):
                continue
            check_line_transition(line.inventory_status, L.UNALLOCATED)
            line.inventory_status = changed[line.pk] = L.UNALLOCATED
        by_order: dict[int, list[dict]] = defaultdict(list)
        for h in held:
            by_order[order_of[h.line_id]].append(
                {"line": h.line_id, "kind": h.kind, "quantity": h.quantity}
            )
        return [
            _line_status_statement(changed),
            events.record_many_statement(
                [
                    (oid, EventType.LINES_DEALLOCATED, {"released": d})
                    for oid, d in by_order.items()
                ],
                actor,
            ),
        ]

    return inventory.release_lines(list(order_of), also_write=orders_writes)


def release_lines(lines: list[OrderLine], *, actor=None) -> list[Held]:
    """Give back what these lines (locked by the caller, with lock_lines) hold."""
    return _release_locked(lines, actor=actor)


@transaction.atomic(savepoint=False)
def deallocate_line(*, line: OrderLine, actor=None) -> None:
    """Release what the line holds (line removed, quantity about to change, order canceled)."""
    locked = _lock_line(line)
    _release_locked([locked], actor=actor)
    line.inventory_status = locked.inventory_status


@transaction.atomic
def delete_lines(*, line_ids: Iterable[int]) -> None:
    """Delete these order lines, giving back first what they hold (inventory's rows point at
    lines by id: a line is never deleted with stock still held for it)."""
    lines = lock_lines(line_ids)
    inventory.release_lines([line.pk for line in lines])
    OrderLine.objects.filter(pk__in=[line.pk for line in lines]).delete()


# --- backorders take new stock ---------------------------------------------------------------


@transaction.atomic
def allocate_waiting_backorders(*, sku_ids, actor=None, limit: int = 1000) -> int:
    """Give newly available stock to backordered lines of these SKUs, oldest first.

    Idempotent: lines that are fully allocated are not touched again. The order's status
    follows: a backordered order whose lines are all allocated becomes payment authorized.
    Returns the number of lines that got more stock.
    """
    sku_ids = list(sku_ids)
    backordered = (
        OrderLine.objects.filter(inventory_status=L.BACKORDERED)
        .exclude(order__status=S.CANCELED)
        .values("pk")
    )
    order_of_age = inventory_selectors.waiting_line_ids(
        sku_ids=sku_ids, among=backordered, limit=limit
    )
    if not order_of_age or not inventory_selectors.has_free_stock(sku_ids=sku_ids):
        return 0
    locked = {line.pk: line for line in lock_lines(order_of_age)}
    lines = [
        locked[pk]
        for pk in order_of_age
        if pk in locked and locked[pk].inventory_status == L.BACKORDERED
    ]
    before = inventory_selectors.on_hand_by_line(line_ids=[x.pk for x in lines])
    results = _allocate_locked(lines, actor=actor, event_type=EventType.BACKORDERS_ALLOCATED)
    improved = sum(1 for pk, r in results.items() if r.on_hand > before.get(pk, 0))
    if improved and len(order_of_age) == limit:  # more may wait: another round after commit
        stock_freed(sku_ids)
    # The orders' status follows in a transaction of its own, once the lines are committed:
    # order rows are locked before lines elsewhere (orders' services), never after them here.
    order_ids = sorted({line.order_id for line in lines})
    transaction.on_commit(lambda: orders_follow(order_ids=order_ids, actor=actor))
    return improved


@transaction.atomic
def orders_follow(*, order_ids, actor=None) -> None:
    """A backordered order whose active lines are all allocated becomes payment authorized."""
    candidates = list(
        Order.objects.select_for_update()
        .filter(pk__in=list(order_ids), status=S.BACKORDERED)
        .order_by("pk")
    )
    if not candidates:
        return
    waiting = set(
        OrderLine.objects.filter(order__in=candidates)
        .exclude(inventory_status__in=[L.ALLOCATED, L.RELEASED, L.SHIPPED, L.CANCELED])
        .values_list("order_id", flat=True)
    )
    followed = []
    for order in candidates:
        if order.pk in waiting:
            continue
        check_order_transition(order.status, S.AUTHORIZED)
        followed.append(order.pk)
    if not followed:
        return
    Order.objects.filter(pk__in=followed).update(status=S.AUTHORIZED, version=F("version") + 1)
    events.record_many(
        [
            (
                pk,
                EventType.ORDER_STATUS_CHANGED,
                {"old": S.BACKORDERED, "new": S.AUTHORIZED, "why": "backorders allocated"},
            )
            for pk in followed
        ],
        actor,
    )


# --- availability to promise -----------------------------------------------------------------


def _reprice(order: Order, actor) -> None:
    order_pricing.reprice_order(order=order, actor=actor)


@transaction.atomic
def apply_atp_choice(*, order: Order, choice: str, actor) -> list[str]:
    """Record the order's ATP choice. "Drop backorders" also trims every line to what is
    allocated now (a line with nothing allocated leaves the order). Returns messages."""
    require(actor, Perm.USE_DESK, "change how the order ships")
    if choice not in AvailabilityChoice.values:
        raise DomainError(f"Unknown availability choice {choice!r}.", field="choice")
    locked_order = Order.objects.select_for_update().get(pk=order.pk)
    if locked_order.status in (S.RELEASED, S.SHIPPED, S.CANCELED):
        raise DomainError(
            f"This order is {locked_order.get_status_display().lower()}; "
            "its shipping choice can no longer change."
        )
    messages: list[str] = []
    data: dict = {"old": locked_order.atp_choice, "new": choice}
    if choice == AvailabilityChoice.SHIP_AVAILABLE_DROP_BACKORDERS:
        dropped = _drop_backorders(locked_order, messages)
        data["dropped"] = dropped
        if dropped:
            _reprice(locked_order, actor)
    Order.objects.filter(pk=locked_order.pk).update(atp_choice=choice, version=F("version") + 1)
    events.record(locked_order.pk, EventType.ATP_CHOICE_CHANGED, actor, **data)
    order.atp_choice = choice
    if choice == AvailabilityChoice.SHIP_COMPLETE:
        messages.append("The order ships when every line is available.")
    elif choice == AvailabilityChoice.SHIP_AVAILABLE_FIRST:
        messages.append("What is available ships now; backorders ship as they arrive.")
    return messages


def _drop_backorders(order: Order, messages: list[str]) -> list[dict]:
    """Trim every backordered line to what it holds on hand now; a line holding nothing (or a
    kit, which ships whole) leaves a cart, or is canceled on a placed order."""
    lines = lock_lines(order=order, inventory_status=L.BACKORDERED)
    on_hand = inventory_selectors.on_hand_by_line(line_ids=[line.pk for line in lines])
    dropped, gone, trimmed = [], [], []
    for line in lines:
        keep = 0 if line.sku.kind == "kit" else on_hand.get(line.pk, 0)
        dropped.append({"line": line.pk, "sku": line.sku_id, "dropped": line.quantity - keep})
        if keep == 0:
            gone.append(line.pk)
            messages.append(f"{line.sku.code} dropped: nothing available now.")
        else:
            trimmed.append(line.pk)
            messages.append(f"{line.sku.code}: quantity {line.quantity} → {keep} (available now).")
            OrderLine.objects.filter(pk=line.pk).update(quantity=keep, inventory_status=L.ALLOCATED)
    if trimmed:
        inventory.release_waiting(trimmed)
    if gone:
        if order.status == S.PENDING:
            delete_lines(line_ids=gone)
        else:
            inventory.release_lines(gone)
            OrderLine.objects.filter(pk__in=gone).update(inventory_status=L.CANCELED)
    return dropped


# --- the stale-allocation sweep ----------------------------------------------------------------


def lock_cart_lines_step(name: str, *, line_ids: str) -> Step:
    """Lock the lines of `line_ids` (a subquery) that are cart lines (order pending), skipping
    the ones another transaction holds: a CSR editing the cart, another sweep worker; (id,
    order_id) of the lines locked. The order's status is read per line by its primary key (a
    join would hash all orders), under a share lock on the order row that skips a locked one: a
    change or a submit claims the order row before it reads the lines, so a cart being changed
    is left alone (the sweep taking its lines then would let a submit place them as they were
    read), and a claim that comes after waits for the batch."""
    return Step(
        name,
        f"""SELECT l.id, l.order_id FROM orders_orderline l
        WHERE l.id IN ({line_ids})
          AND (SELECT o.status FROM orders_order o WHERE o.id = l.order_id FOR SHARE SKIP LOCKED)
              = %s
          AND NOT EXISTS (SELECT 1 FROM orders_quote q
                          WHERE q.order_id = l.order_id AND q.status = %s)
        ORDER BY l.id FOR UPDATE OF l SKIP LOCKED""",
        [S.PENDING.value, QuoteStatus.OPEN.value],
    )


def lock_cart_lines_skip_locked(line_ids: list[int]) -> dict[int, int]:
    """lock_cart_lines_step through the ORM: {line id: order id} of the lines locked."""
    return dict(
        OrderLine.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=line_ids, order__status=S.PENDING)
        .exclude(order__quote__status=QuoteStatus.OPEN)  # an open quote holds its stock
        .order_by("pk")
        .values_list("pk", "order_id")
    )


def mark_swept_steps(*, held: str, locked: str, cutoff) -> list[Step]:
    """Swept cart lines hold nothing now: the lines of `held` (line_id, kind, quantity, the
    allocations the sweep deleted) become unallocated (a swept line is allocated or backordered,
    both of which may), and each order of `locked` (id, order_id) gets one event listing what
    went: {"cutoff": ..., "released": [[line id, kind, quantity], ...]}."""
    return [
        Step(
            f"{held}_marked",
            "UPDATE orders_orderline SET inventory_status = %s "
            f"WHERE id {in_step('line_id', held)}",
            [L.UNALLOCATED.value],
        ),
        events.system_events_step(
            f"{held}_noted",
            EventType.STALE_ALLOCATIONS_RELEASED,
            "SELECT l.order_id, jsonb_build_object('cutoff', %s::text, 'released', "
            "jsonb_agg(jsonb_build_array(h.line_id, h.kind, h.quantity) "
            "ORDER BY h.line_id, h.kind)) "
            f"FROM {held} h JOIN {locked} l ON l.id = h.line_id GROUP BY l.order_id",
            [cutoff.isoformat()],
        ),
    ]


def mark_swept(*, released: dict[int, list], cutoff) -> None:
    """mark_swept_steps through the ORM; `released` maps an order id to its released
    [line id, kind, quantity], in line order."""
    OrderLine.objects.filter(pk__in=[row[0] for rows in released.values() for row in rows]).update(
        inventory_status=L.UNALLOCATED
    )
    events.record_many(
        [
            (
                order_id,
                EventType.STALE_ALLOCATIONS_RELEASED,
                {"cutoff": cutoff.isoformat(), "released": rows},
            )
            for order_id, rows in sorted(released.items())
        ],
        None,
    )

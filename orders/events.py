"""The order's timeline: the one place that writes `OrderEvent` rows.

Every app that changes an order does it through an orders service, and the service records what
happened here, so the audit trail has one writer. `record` writes one event; `record_many` writes
a batch (a release run, an allocation of many lines) in one statement on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder

from core.db import Statement, Step, execute_together, int_array, text_array
from core.events import EventType
from orders.models import OrderEvent

# (order id, event type, data)
EventRow = tuple[int, EventType | int, dict]
_pending = threading.local()  # events of a `batched()` block, not yet written
# What json.dumps(d, cls=DjangoJSONEncoder) writes, without a new encoder for each event
_JSON = DjangoJSONEncoder()


def record(order_id: int, event_type: EventType, actor, **data) -> OrderEvent:
    event = OrderEvent(order_id=order_id, event_type=int(event_type), actor=actor, data=data)
    batch = getattr(_pending, "events", None)
    if batch is None:
        event.save(force_insert=True)
    else:
        batch.append(event)
    return event


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """The events recorded inside are written in one INSERT when the block ends (each keeps
    the time it was recorded). Use it inside the transaction whose steps the events record: if
    the block fails, nothing is written, exactly as the steps' own rows."""
    outer = getattr(_pending, "events", None)
    if outer is not None:  # already batching: the outermost block writes them
        yield
        return
    _pending.events = []
    try:
        yield
        OrderEvent.objects.bulk_create(_pending.events)
    finally:
        _pending.events = None


def status_changed(order_id: int, old: str, new: str, actor, **data) -> OrderEvent:
    return record(order_id, EventType.ORDER_STATUS_CHANGED, actor, old=old, new=new, **data)


def record_many(rows: Iterable[EventRow], actor) -> None:
    execute_together([record_many_statement(rows, actor)])


def record_many_statement(rows: Iterable[EventRow], actor) -> Statement | None:
    """`record_many` as a statement, to send with other writes in one round trip
    (core.db.execute_together); None when there is no row. Inside a `batched()` block the rows
    join the block's one INSERT instead (None too): a submit's allocation event costs no
    statement of its own when no stock moved."""
    rows = list(rows)
    if not rows:
        return None
    actor_id = actor.pk if actor is not None else None
    batch = getattr(_pending, "events", None)
    if batch is not None:
        batch += _events(rows, actor_id)
        return None
    return Statement(
        sql=(
            "INSERT INTO orders_orderevent (event_type, actor_id, occurred_at, data, order_id) "
            "SELECT v.e, %s, now(), v.d, v.o "
            "FROM unnest(%s::int[], %s::bigint[], %s::jsonb[]) AS v(e, o, d)"
        ),
        params=[
            actor_id,
            int_array(int(e) for _, e, _ in rows),
            int_array(o for o, _, _ in rows),
            text_array(_JSON.encode(d) for _, _, d in rows),
        ],
        orm=lambda: OrderEvent.objects.bulk_create(_events(rows, actor_id), batch_size=2000),
    )


def system_events_step(name: str, event_type: EventType, rows_sql: str, params: list) -> Step:
    """One event by the system (no actor) for each row of `rows_sql` (order_id, data as
    jsonb), as a step of a statement several owners build (core.db.run_steps)."""
    return Step(
        name,
        "INSERT INTO orders_orderevent (event_type, actor_id, occurred_at, data, order_id) "
        f"SELECT %s, NULL, now(), e.data, e.order_id FROM ({rows_sql}) AS e(order_id, data)",
        [int(event_type), *params],
    )


def _events(rows: list[EventRow], actor_id: int | None) -> list[OrderEvent]:
    return [
        OrderEvent(order_id=o, event_type=int(e), actor_id=actor_id, data=d) for o, e, d in rows
    ]

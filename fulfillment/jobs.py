"""Fulfillment's jobs, registered in core's job registry by FulfillmentConfig.ready().

Schedules live in settings (CELERY_BEAT_SCHEDULE, config/settings/base.py); the operations
screen shows them read-only. Every run (beat, `manage.py`, "Run now") records a JobRun with a
heartbeat per batch (core.jobs).
"""

from __future__ import annotations

from core.jobs import Job, heartbeat
from fulfillment.models import LineAllocation
from fulfillment.releases import run_release
from fulfillment.sweep import sweep_stale_allocations
from orders.allocation import allocate_waiting_backorders


def _beating(progress):
    """A batch loop's `progress` callback that records the run's heartbeat first."""

    def each_batch(total):
        heartbeat()
        if progress is not None:
            progress(total)

    return each_batch


def release_orders(*, progress=None, **kwargs) -> dict:
    return run_release(progress=_beating(progress), **kwargs).as_dict()


def sweep(*, progress=None, **kwargs) -> dict:
    return {"count": sweep_stale_allocations(progress=_beating(progress), **kwargs)}


def allocate_backorders(**kwargs) -> dict:
    """Offer stock to every SKU that has lines waiting (normally triggered by receiving)."""
    sku_ids = sorted(
        set(
            LineAllocation.objects.exclude(kind="on_hand")
            .filter(line__inventory_status="backordered")
            .values_list("sku_id", flat=True)
        )
        - {None}
    )
    total = 0
    for start in range(0, len(sku_ids), 200):
        total += allocate_waiting_backorders(sku_ids=sku_ids[start : start + 200])
        heartbeat()
    return {"count": total}


JOBS = [
    Job(
        "release_orders",
        "Release orders",
        "Time to release orders for store: accepted orders become releases",
        release_orders,
        "fulfillment.release_orders",
    ),
    Job(
        "sweep_stale_allocations",
        "Stale allocation sweep",
        "Find stale order line items: old cart allocations give their stock back",
        sweep,
        "fulfillment.sweep_stale_allocations",
    ),
    Job(
        "allocate_backorders",
        "Backorder allocation",
        "Give available stock to waiting backorders, oldest first",
        allocate_backorders,
        "fulfillment.allocate_backorders",
        when_not_scheduled="on demand (after receiving stock)",
    ),
]

"""The operations jobs: what they are, when beat runs them, how "Run now" starts them.

Schedules live in settings (CELERY_BEAT_SCHEDULE, config/settings/base.py); the operations
screen shows them read-only. Every run (beat, `manage.py`, "Run now") records a JobRun.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


def _release(**kwargs):
    from fulfillment.releases import run_release

    return run_release(**kwargs)


def _sweep(**kwargs):
    from fulfillment.sweep import sweep_stale_allocations

    return sweep_stale_allocations(**kwargs)


def _backorders(**kwargs):
    """Offer stock to every SKU that has lines waiting (normally triggered by receiving)."""
    from fulfillment.models import LineAllocation
    from orders.allocation import allocate_waiting_backorders

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
    return total


def _resume_submits(**kwargs):
    from orders.services import resume_interrupted_submits

    return resume_interrupted_submits(**kwargs)


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    description: str
    func: object
    task: str

    @property
    def schedule(self) -> str:
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            if entry["task"] == self.task:
                seconds = (
                    float(entry["schedule"])
                    if not hasattr(entry["schedule"], "run_every")
                    else None
                )
                if seconds:
                    return (
                        f"every {int(seconds // 60)} min"
                        if seconds >= 60
                        else f"every {seconds:g} s"
                    )
                return str(entry["schedule"])
        return "on demand (after receiving stock)"


JOBS: dict[str, Job] = {
    "release_orders": Job(
        "release_orders",
        "Release orders",
        "Time to release orders for store: accepted orders become releases",
        _release,
        "fulfillment.release_orders",
    ),
    "sweep_stale_allocations": Job(
        "sweep_stale_allocations",
        "Stale allocation sweep",
        "Find stale order line items: old cart allocations give their stock back",
        _sweep,
        "fulfillment.sweep_stale_allocations",
    ),
    "allocate_backorders": Job(
        "allocate_backorders",
        "Backorder allocation",
        "Give available stock to waiting backorders, oldest first",
        _backorders,
        "fulfillment.allocate_backorders",
    ),
    "resume_interrupted_submits": Job(
        "resume_interrupted_submits",
        "Finish interrupted submits",
        "Submits whose process died between the payment gateway and placing the order: "
        "authorized again under their own key, then placed or returned to the CSR",
        _resume_submits,
        "orders.resume_interrupted_submits",
    ),
}


def run(name: str, *, triggered_by: str) -> dict:
    from fulfillment.releases import run_job

    job = JOBS[name]
    return run_job(name, job.func, triggered_by=triggered_by)

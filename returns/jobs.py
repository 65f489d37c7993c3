"""Returns' jobs, registered in core's job registry by ReturnsConfig.ready(): the operations
screen lists them with their runs and "Run now"; beat's tasks and the management commands run
them through core.jobs.run_job, which records every run as a JobRun.
"""

from __future__ import annotations

from core.jobs import Job
from returns import receiving


def expire_returns(**kwargs) -> dict:
    return {"returns": receiving.expire_returns(**kwargs)}


def recover_stuck_refunds(**kwargs) -> dict:
    return {"returns": receiving.recover_stuck_refunds(**kwargs)}


JOBS = [
    Job(
        "expire_returns",
        "Return expiry",
        "Approved returns whose goods never arrived within the return policy's days expire",
        expire_returns,
        "returns.expire_returns",
    ),
    Job(
        "recover_stuck_refunds",
        "Stuck refund recovery",
        'Refunds left "refunding" by a worker that died are finished (once at the gateway)',
        recover_stuck_refunds,
        "returns.recover_stuck_refunds",
    ),
]

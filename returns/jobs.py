"""Returns' jobs, registered in core's job registry by ReturnsConfig.ready(): the operations
screen lists them with their runs, as it does fulfillment's."""

from __future__ import annotations

from core.jobs import Job
from returns.receiving import expire_returns, resume_interrupted_refunds


def expire(**kwargs) -> dict:
    return {"count": expire_returns(**kwargs)}


def resume_refunds(**kwargs) -> dict:
    return {"count": resume_interrupted_refunds(**kwargs)}


JOBS = [
    Job(
        "expire_returns",
        "Expire returns",
        "Approved returns whose goods never arrived within the return policy's days expire; "
        "their quantities become returnable again",
        expire,
        "returns.expire_returns",
    ),
    Job(
        "resume_refunds",
        "Resume interrupted refunds",
        "Refunds left half-done by a worker that died are finished (the gateway answers a "
        "repeated call with the refund it made)",
        resume_refunds,
        "returns.resume_refunds",
    ),
]

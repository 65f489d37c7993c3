"""Orders' jobs, registered in core's job registry by OrdersConfig.ready()."""

from core.jobs import Job
from orders.services import resume_interrupted_submits


def resume_submits(**kwargs) -> dict:
    return {"count": resume_interrupted_submits(**kwargs)}


JOBS = [
    Job(
        "resume_interrupted_submits",
        "Finish interrupted submits",
        "Submits whose process died between the payment gateway and placing the order: "
        "authorized again under their own key, then placed or returned to the CSR",
        resume_submits,
        "orders.resume_interrupted_submits",
    ),
]

"""Orders' jobs, registered in core's job registry by OrdersConfig.ready()."""

from core.jobs import Job
from orders.services import resume_interrupted_submits
from orders.services.quotes import expire_quotes, remind_quotes


def resume_submits(**kwargs) -> dict:
    return {"count": resume_interrupted_submits(**kwargs)}


def expire_and_remind_quotes(**kwargs) -> dict:
    return {"count": expire_quotes(**kwargs), "reminded": remind_quotes()}


JOBS = [
    Job(
        "resume_interrupted_submits",
        "Finish interrupted submits",
        "Submits whose process died between the payment gateway and placing the order: "
        "authorized again under their own key, then placed or returned to the CSR",
        resume_submits,
        "orders.resume_interrupted_submits",
    ),
    Job(
        "expire_quotes",
        "Expire quotes",
        "Quotes past their date give back their held stock and promotion uses (exactly once); "
        "quotes expiring within a day get a reminder e-mail",
        expire_and_remind_quotes,
        "orders.expire_quotes",
    ),
]

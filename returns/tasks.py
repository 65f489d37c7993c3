"""Celery tasks of the returns app: thin, idempotent, each calls one service."""

from celery import shared_task

from core.jobs import run_job


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_rma_email(self, return_id: int) -> bool:
    from returns.services import rma_email_send  # services import this module

    try:
        return rma_email_send(return_id=return_id)
    except OSError as exc:  # the mail server is down: try again later
        raise self.retry(exc=exc) from exc


@shared_task(name="returns.expire_returns")
def expire_returns(triggered_by: str = "beat") -> int:
    """Beat: daily; approved returns whose goods never arrived expire (records a JobRun)."""
    return run_job("expire_returns", triggered_by=triggered_by)["returns"]


@shared_task(name="returns.recover_stuck_refunds")
def recover_stuck_refunds(triggered_by: str = "beat") -> int:
    """Beat: every 5 minutes; refunds left "refunding" by a dead worker are finished."""
    return run_job("recover_stuck_refunds", triggered_by=triggered_by)["returns"]

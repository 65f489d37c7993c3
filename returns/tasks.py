"""Celery tasks of the returns app: thin, idempotent, each calls one service."""

from celery import shared_task

from returns import receiving


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_rma_email(self, return_id: int) -> bool:
    from returns.services import rma_email_send  # services import this module

    try:
        return rma_email_send(return_id=return_id)
    except OSError as exc:  # the mail server is down: try again later
        raise self.retry(exc=exc) from exc


@shared_task(name="returns.expire_returns")
def expire_returns() -> int:
    """Beat: daily; approved returns whose goods never arrived expire."""
    return receiving.expire_returns()

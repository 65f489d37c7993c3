"""Celery tasks of the auctions app: thin, idempotent, each calls one service."""

from celery import shared_task

from core.jobs import run_job


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_outbid_email(self, bid_id: int) -> bool:
    from auctions.services import outbid_email_send  # services import this module

    try:
        return outbid_email_send(bid_id=bid_id)
    except OSError as exc:  # the mail server is down: try again later
        raise self.retry(exc=exc) from exc


@shared_task(name="auctions.close_due_auctions", bind=True, max_retries=5)
def close_due_auctions(self, triggered_by="beat"):
    """Beat: every minute. Closes due auctions once each (SKIP LOCKED) and places the winners'
    orders; records a JobRun. Safe to run twice at once or after a killed worker."""
    from django.db import OperationalError

    try:
        return run_job("close_auctions", triggered_by=triggered_by)
    except OperationalError as exc:  # each auction's close commits whole
        raise self.retry(exc=exc, countdown=10) from exc

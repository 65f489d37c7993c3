"""Celery tasks of the auctions app: thin, idempotent, each calls one service."""

from celery import shared_task


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_outbid_email(self, bid_id: int) -> bool:
    from auctions.services import outbid_email_send  # services import this module

    try:
        return outbid_email_send(bid_id=bid_id)
    except OSError as exc:  # the mail server is down: try again later
        raise self.retry(exc=exc) from exc

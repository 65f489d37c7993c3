"""Celery tasks of the orders app: thin, idempotent, each calls one service."""

from celery import shared_task

from core.jobs import run_job


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_order_confirmation(self, order_id: int) -> bool:
    # the services queue this task: imported when it runs (tasks <-> services)
    from orders.services import order_confirmation_send

    try:
        return order_confirmation_send(order_id=order_id)
    except OSError as exc:  # the mail server is down: try again later
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_order_comment(self, comment_id: int) -> bool:
    # the services queue this task: imported when it runs (tasks <-> services)
    from orders.services import order_comment_send

    try:
        return order_comment_send(comment_id=comment_id)
    except OSError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(name="orders.resume_interrupted_submits")
def resume_interrupted_submits() -> int:
    """Beat: every 2 minutes; recorded as a JobRun on the operations screen."""
    return run_job("resume_interrupted_submits", triggered_by="beat")["count"]


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_order_changed(self, order_id: int, version: int) -> bool:
    """The "order changed" e-mail with the diff (issue 16); once per version."""
    # the services queue this task: imported when it runs (tasks <-> services)
    from orders.services.changes import order_changed_send

    try:
        return order_changed_send(order_id=order_id, version=version)
    except OSError as exc:
        raise self.retry(exc=exc) from exc

"""Celery tasks of the fulfillment app: thin, idempotent, each calls one service."""

from celery import shared_task

from core.jobs import run_job

# Extra apply_async options for the tasks enqueued here (the integration test names its queue).
TASK_OPTIONS: dict = {}


def enqueue_backorder_allocation(sku_ids: list[int]) -> None:
    """Inventory freed stock of these SKUs (committed): waiting backorders may take it."""
    allocate_backorders.apply_async(args=[sku_ids], **TASK_OPTIONS)


@shared_task(name="fulfillment.allocate_backorders", bind=True, max_retries=5)
def allocate_backorders(self, sku_ids):
    """Give received stock to waiting backorders, oldest first (safe to run twice)."""
    from django.db import OperationalError

    # orders' allocation queues this task: imported when it runs
    from orders.allocation import allocate_waiting_backorders

    try:
        return allocate_waiting_backorders(sku_ids=sku_ids)
    except OperationalError as exc:  # lock timeout or deadlock victim: nothing was written
        raise self.retry(exc=exc, countdown=5) from exc


@shared_task(name="fulfillment.sweep_stale_allocations")
def sweep_stale_allocations():
    """Release the stock held by stale cart lines (beat: every 5 minutes); records a JobRun."""
    return run_job("sweep_stale_allocations", triggered_by="beat")["count"]


@shared_task(name="fulfillment.release_orders", bind=True, max_retries=5)
def release_orders(self, triggered_by="beat"):
    """Release accepted orders to the centers (beat: every 10 minutes). Idempotent: an order
    already released has no `allocated` line left, and batches commit whole."""
    from django.db import OperationalError

    try:
        return run_job("release_orders", triggered_by=triggered_by)
    except OperationalError as exc:  # nothing of the failed batch was written
        raise self.retry(exc=exc, countdown=10) from exc


@shared_task(name="fulfillment.send_ship_notification", bind=True, max_retries=5)
def send_ship_notification(self, shipment_id):
    """E-mail the customer the tracking number (once per shipment: notified_at is claimed)."""
    # the services queue this task: imported when it runs (tasks <-> services)
    from fulfillment.shipping import ship_notification_send

    try:
        return ship_notification_send(shipment_id=shipment_id)
    except OSError as exc:  # the mail server did not answer: the claim was rolled back
        raise self.retry(exc=exc, countdown=30) from exc

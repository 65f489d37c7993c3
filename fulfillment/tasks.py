"""Celery tasks of the fulfillment app: thin, idempotent, each calls one service."""

from celery import shared_task


@shared_task(name="fulfillment.allocate_backorders", bind=True, max_retries=5)
def allocate_backorders(self, sku_ids):
    """Give received stock to waiting backorders, oldest first (safe to run twice)."""
    from django.db import OperationalError

    from fulfillment.services import allocate_waiting_backorders

    try:
        return allocate_waiting_backorders(sku_ids=sku_ids)
    except OperationalError as exc:  # lock timeout or deadlock victim: nothing was written
        raise self.retry(exc=exc, countdown=5) from exc


@shared_task(name="fulfillment.sweep_stale_allocations")
def sweep_stale_allocations():
    """Release the stock held by stale cart lines (beat: every 5 minutes)."""
    from fulfillment.services import sweep_stale_allocations as sweep

    return sweep()

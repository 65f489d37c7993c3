from celery import shared_task


@shared_task(name="catalog.refresh_product_states")
def refresh_product_states() -> int:
    """Beat: keep Product.state in step with scheduled dates (see the service)."""
    # the services queue this task: imported when it runs (tasks <-> services)
    from catalog.services import refresh_product_states as refresh

    return refresh()

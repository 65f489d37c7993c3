from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self):
        # Imported once the models are loaded (the jobs and inventory import models).
        from catalog import facts
        from core.jobs import register_job
        from fulfillment import tasks
        from fulfillment.inventory import selectors
        from fulfillment.inventory.stock import on_stock_freed
        from fulfillment.jobs import JOBS

        for job in JOBS:
            register_job(job)
        # Inventory cannot import the order flow that gives freed stock to waiting backorders.
        on_stock_freed(tasks.enqueue_backorder_allocation)
        # The catalog's screens show each SKU's availability (catalog cannot import us).
        facts.register(facts.AVAILABILITY, selectors.availability)

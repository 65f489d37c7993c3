from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


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
        from fulfillment.models import FulfillmentCenter, ShippingArrangement

        for job in JOBS:
            register_job(job)
        # Inventory cannot import the order flow that gives freed stock to waiting backorders.
        on_stock_freed(tasks.enqueue_backorder_allocation)
        # The catalog's screens show each SKU's availability (catalog cannot import us).
        facts.register(facts.AVAILABILITY, selectors.availability)
        # Every process reads the arrangements afresh once one, or a center, changed.
        for model in (ShippingArrangement, FulfillmentCenter):
            for signal in (post_save, post_delete):
                signal.connect(selectors.ARRANGEMENTS_VERSION.bump, sender=model, weak=False)

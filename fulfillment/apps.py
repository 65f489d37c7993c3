from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self):
        from fulfillment import tasks
        from fulfillment.inventory.stock import on_stock_freed

        # inventory cannot import the order flow that gives freed stock to waiting backorders
        on_stock_freed(tasks.enqueue_backorder_allocation)

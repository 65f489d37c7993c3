from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self):
        from catalog import availability as catalog_availability
        from fulfillment import tasks
        from fulfillment.inventory import selectors
        from fulfillment.inventory.stock import on_stock_freed

        # inventory cannot import the order flow that gives freed stock to waiting backorders
        on_stock_freed(tasks.enqueue_backorder_allocation)
        # nor can catalog's screens import inventory
        catalog_availability.provide(selectors.availability)

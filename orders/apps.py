from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # Imported once the models are loaded: the jobs import orders' services.
        from core.jobs import register_job
        from orders.jobs import JOBS

        for job in JOBS:
            register_job(job)

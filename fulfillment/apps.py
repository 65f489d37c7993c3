from django.apps import AppConfig
from django.db.models.signals import pre_delete


def _release_on_line_delete(sender, instance, **kwargs):
    """Safety net: a line deleted without deallocate_line gives its stock back."""
    from fulfillment.services import release_deleted_line

    release_deleted_line(instance.pk)


class FulfillmentConfig(AppConfig):
    name = "fulfillment"

    def ready(self):
        pre_delete.connect(
            _release_on_line_delete,
            sender="orders.OrderLine",
            dispatch_uid="fulfillment_release_on_line_delete",
        )
        # Imported once the models are loaded: the jobs import fulfillment's services.
        from core.jobs import register_job
        from fulfillment.jobs import JOBS

        for job in JOBS:
            register_job(job)
        # The catalog's screens show each SKU's availability (catalog cannot import us).
        from catalog import facts
        from fulfillment.selectors import availability

        facts.register(facts.AVAILABILITY, availability)

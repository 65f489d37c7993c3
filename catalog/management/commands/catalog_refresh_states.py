from django.core.management.base import BaseCommand

from catalog.services import refresh_product_states


class Command(BaseCommand):
    help = "Set each product's stored state from its dates (the beat job, by hand)."

    def handle(self, *args, **options):
        changed = refresh_product_states()
        self.stdout.write(self.style.SUCCESS(f"{changed} product state(s) updated."))

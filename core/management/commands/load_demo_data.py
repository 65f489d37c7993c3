import importlib
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app that has demo data keeps it in `<app>/demo.py` as `load(log)`, idempotent.
DEMO_MODULES = [
    "core",
    "customers",
    "catalog",
    "pricing",
    "fulfillment",
    "orders",
    "returns",
    "auctions",
]


class Command(BaseCommand):
    help = "Load the demo store (idempotent: a second run adds nothing twice)."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo data and demo logins are refused by these (production) settings."
            )
        for name in DEMO_MODULES:
            try:
                module = importlib.import_module(f"{name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{name}.demo":
                    raise
                continue
            started = time.monotonic()
            self.stdout.write(f"{name}:")
            with transaction.atomic():
                module.load(self.stdout.write)
            self.stdout.write(f"  done in {time.monotonic() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        from core.demo import DEMO_STAFF

        for username, _first, _last, role, _staff in DEMO_STAFF:
            self.stdout.write(f"  {username:<11} {role.value}")

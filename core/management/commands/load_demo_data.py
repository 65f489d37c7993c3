import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from core.app_data import demo_data
from core.demo import DEMO_STAFF


class Command(BaseCommand):
    help = (
        "Load the demo store: each app's demo module (<app>/demo.py). Idempotent: a second run "
        "adds nothing twice."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo data and demo logins are refused by these (production) settings."
            )
        # The demo orders' confirmation e-mails go nowhere: a newcomer's first screen is the
        # URL and the logins, not a hundred lines of mail (the desk's own e-mails still print).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for label, demo in demo_data():
                started = time.monotonic()
                self.stdout.write(f"{label}:")
                with transaction.atomic():
                    demo.load(self.stdout.write)
                self.stdout.write(f"  done in {time.monotonic() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS("Demo data ready (demo e-mails were not sent)."))
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        for username, _first, _last, role, _staff in DEMO_STAFF:
            self.stdout.write(f"  {username:<11} {role.value}")

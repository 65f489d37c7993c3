from django.conf import settings
from django.core.management.base import BaseCommand

from core.jobs import run_job


class Command(BaseCommand):
    help = (
        'Finish refunds left "refunding" by a worker that died mid-refund (no change for '
        "RETURNS_REFUND_STUCK_MINUTES). The gateway is asked with the same references, so a "
        "refund it made already is not made twice. The same job as the beat task."
    )

    def handle(self, *args, **options):
        total = run_job("recover_stuck_refunds", triggered_by="command")["returns"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Finished {total} refunds stuck over {settings.RETURNS_REFUND_STUCK_MINUTES} "
                "minutes."
            )
        )

from django.core.management.base import BaseCommand

from core.jobs import run_job
from returns.models import ReturnPolicy


class Command(BaseCommand):
    help = (
        "Expire approved returns whose goods never arrived within the return policy's days "
        "(the same job as the beat task, recorded as a run on the operations screen; safe to "
        "run while it runs)."
    )

    def handle(self, *args, **options):
        days = ReturnPolicy.current().expire_after_days
        total = run_job("expire_returns", triggered_by="command")["returns"]
        self.stdout.write(
            self.style.SUCCESS(f"Expired {total} returns approved over {days} days ago.")
        )

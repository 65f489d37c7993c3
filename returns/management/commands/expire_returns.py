from django.core.management.base import BaseCommand

from returns.models import ReturnPolicy
from returns.receiving import expire_returns


class Command(BaseCommand):
    help = (
        "Expire approved returns whose goods never arrived within the return policy's days "
        "(the same job as the beat task; safe to run while it runs)."
    )

    def handle(self, *args, **options):
        days = ReturnPolicy.current().expire_after_days
        total = expire_returns()
        self.stdout.write(
            self.style.SUCCESS(f"Expired {total} returns approved over {days} days ago.")
        )

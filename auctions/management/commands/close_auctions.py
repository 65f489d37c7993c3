from django.core.management.base import BaseCommand

from core.jobs import run_job


class Command(BaseCommand):
    help = (
        "Close due auctions and place their winners' orders (the same job as the beat task; "
        "safe to run while it runs)."
    )

    def handle(self, *args, **options):
        counts = run_job("close_auctions", triggered_by="command")
        self.stdout.write(
            self.style.SUCCESS(
                f"Closed {counts['auctions']} auctions; {counts['orders']} orders placed, "
                f"{counts['failed']} failed bids ({counts['seconds']:.1f}s)."
            )
        )

import time

from django.core.management.base import BaseCommand

from core.jobs import run_job
from fulfillment.releases import run_release


class Command(BaseCommand):
    help = (
        "Release accepted orders to the fulfillment centers (the same job as the beat task; "
        "safe to run while it runs, or on several machines at once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would be released; every batch is rolled back.",
        )

    def handle(self, *args, batch_size, dry_run, **options):
        started = time.monotonic()
        verb = "Would release" if dry_run else "Released"
        self.stdout.write(("[dry run] " if dry_run else "") + "Releasing accepted orders...")

        def progress(total):
            rate = total.orders / max(time.monotonic() - started, 1e-6)
            self.stdout.write(
                f"  {total.orders} orders, {total.releases} releases ({rate:,.0f} orders/s)"
            )

        kwargs = {"batch_size": batch_size, "dry_run": dry_run, "progress": progress}
        if dry_run:
            counts = run_release(**kwargs).as_dict()
        else:
            counts = run_job("release_orders", triggered_by="command", **kwargs)
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {counts['orders']} orders: {counts['releases']} releases, "
                f"{counts['lines']} lines; {counts['skipped_ship_complete']} ship-complete "
                f"orders wait for stock ({time.monotonic() - started:.1f}s)."
            )
        )

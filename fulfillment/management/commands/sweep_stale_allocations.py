import time

from django.core.management.base import BaseCommand

from fulfillment.sweep import BATCH_SIZE, allocation_good_for, sweep_stale_allocations


class Command(BaseCommand):
    help = (
        'Release the stock held by cart lines allocated longer than "allocation good for" '
        "(the same job as the beat task; safe to run while it runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, batch_size, **options):
        started = time.monotonic()
        self.stdout.write(f"Sweeping cart lines allocated more than {allocation_good_for()} ago...")

        def progress(done):
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"  {done} lines released ({rate:,.0f}/s)")

        total = sweep_stale_allocations(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"Released {total} lines in {time.monotonic() - started:.1f}s.")
        )

import time

from django.core.management.base import BaseCommand

from core.app_data import volumes


class Command(BaseCommand):
    help = (
        "Generate benchmark volumes, one option per app that has a load_data module (e.g. "
        "--customers N, --skus M). Bulk inserts (COPY on PostgreSQL); adds to what is there."
    )

    def add_arguments(self, parser):
        for _label, volume in volumes():
            parser.add_argument(
                f"--{volume.option}", type=int, default=0, help=f"how many {volume.label} to add"
            )

    def progress(self, label: str, total: int):
        started = time.monotonic()

        def report(done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"\r  {label}: {done:>10,}/{total:,}  {rate:,.0f}/s", ending="")
            self.stdout.flush()
            if done >= total:
                self.stdout.write("")

        return report

    def handle(self, *args, **options):
        started = time.monotonic()
        for _label, volume in volumes():
            count = options[volume.option.replace("-", "_")]
            if count:
                volume.generate(count, self.progress(volume.label, count))
        self.stdout.write(self.style.SUCCESS(f"done in {time.monotonic() - started:.0f}s"))

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Generate benchmark volumes: N customers (1-3 addresses each) and M SKUs. "
        "Bulk inserts (COPY on PostgreSQL); adds to what is there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=0)
        parser.add_argument("--skus", type=int, default=0)

    def progress(self, label: str, total: int):
        started = time.monotonic()

        def report(done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"\r  {label}: {done:>10,}/{total:,}  {rate:,.0f}/s", ending="")
            self.stdout.flush()
            if done >= total:
                self.stdout.write("")

        return report

    def handle(self, *args, customers: int, skus: int, **options):
        # Each app generates its own rows; imported here so the command loads fast for --help.
        from catalog.load_data import generate_skus
        from customers.load_data import generate_customers

        started = time.monotonic()
        if skus:
            generate_skus(skus, self.progress("SKUs", skus))
        if customers:
            generate_customers(customers, self.progress("customers", customers))
        self.stdout.write(self.style.SUCCESS(f"done in {time.monotonic() - started:.0f}s"))

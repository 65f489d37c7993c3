from django.core.management.base import BaseCommand

from core.jobs import run_job


class Command(BaseCommand):
    help = (
        "Expire quotes past their date (their held stock and promotion uses go back, exactly "
        "once, safe beside the beat job) and e-mail a reminder for those expiring within a day."
    )

    def handle(self, *args, **options):
        counts = run_job("expire_quotes", triggered_by="command")
        self.stdout.write(
            f"{counts['count']} quote(s) expired, {counts['reminded']} reminder(s) queued."
        )

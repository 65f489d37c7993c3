import datetime as dt

from django.core.management.base import BaseCommand

from orders.services import RESUME_SUBMITS_AFTER, resume_interrupted_submits


class Command(BaseCommand):
    help = (
        "Finish submits left `submitted` by a process that died between the payment gateway "
        "and placing the order (older than the given minutes)."
    )

    def add_arguments(self, parser):
        default = int(RESUME_SUBMITS_AFTER.total_seconds() // 60)
        parser.add_argument("--older-than", type=int, default=default, metavar="MINUTES")

    def handle(self, *args, older_than, **options):
        finished = resume_interrupted_submits(older_than=dt.timedelta(minutes=older_than))
        self.stdout.write(f"{finished} interrupted submit(s) finished.")

"""Auctions' job, registered in core's job registry by AuctionsConfig.ready(); beat runs it
(CELERY_BEAT_SCHEDULE), ops run it with `manage.py close_auctions`, the operations screen shows
its runs."""

from auctions.closing import close_due_auctions
from core.jobs import Job

JOBS = [
    Job(
        "close_auctions",
        "Close auctions",
        "Time to close auction automatically: due auctions close, winners become orders",
        close_due_auctions,
        "auctions.close_due_auctions",
    ),
]

from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "auctions"

    def ready(self):
        # Imported once the models are loaded (the job imports models).
        from auctions.jobs import JOBS
        from core.jobs import register_job

        for job in JOBS:
            register_job(job)

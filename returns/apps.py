from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"

    def ready(self):
        # Imported once the models are loaded (the jobs import the receiving services).
        from core.jobs import register_job
        from returns.jobs import JOBS

        for job in JOBS:
            register_job(job)

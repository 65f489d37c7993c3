from celery import shared_task

from core import jobs


@shared_task(name="core.echo")
def echo(value):
    """Round-trip through the broker; the worker integration test and ops use it."""
    return value


@shared_task(name="core.run_job")
def run_job(name, triggered_by=""):
    """ "Run now" on the operations screen: a registered job, recorded as a JobRun."""
    return jobs.run_job(name, triggered_by=triggered_by)

from celery import shared_task


@shared_task(name="core.echo")
def echo(value):
    """Round-trip through the broker; the worker integration test and ops use it."""
    return value

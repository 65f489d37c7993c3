"""Celery tasks of the customers app: thin, retry-safe, each takes ids (never a secret)."""

from celery import shared_task


@shared_task(
    name="customers.send_password_link",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_password_link(customer_id: int) -> bool:
    """E-mail the one-time link of `customer_reset_password` (the mail server may be down)."""
    # the services queue this task: imported when it runs (tasks <-> services)
    from customers.services import password_link_send

    return password_link_send(customer_id=customer_id)

"""Celery tasks of the customers app: thin, retry-safe, each takes ids."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(
    name="customers.send_temporary_password",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_temporary_password(customer_id: int, temporary_password: str) -> bool:
    """E-mail the temporary password set by `customer_reset_password`.

    Skips (returns False) when the customer is gone or the password was changed again since
    (a newer reset or the customer's own change), so a retry never sends a stale password.
    """
    from customers.models import Customer

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or not customer.email or not customer.must_change_password:
        return False
    if not customer.check_password(temporary_password):
        return False
    send_mail(
        subject=f"Your temporary password for {settings.STORE_NAME}",
        message=(
            f"Hello {customer.first_name},\n\n"
            f"As you asked on the phone, your password has been reset.\n"
            f"Temporary password: {temporary_password}\n\n"
            "You will be asked to choose a new password when you next sign in.\n\n"
            f"{settings.STORE_NAME}"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[customer.email],
    )
    return True

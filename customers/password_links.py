"""One-time links with which a customer chooses a new password after a reset at the desk.

The link carries the customer's id and a token of Django's PasswordResetTokenGenerator: it is
valid for settings.PASSWORD_RESET_TIMEOUT and spent as soon as the password changes (the
password hash is part of the token), so a newer reset or a used link makes it worthless.
Nothing secret is stored or queued: the token is computed when the mail is written.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from customers.models import Customer


class _CustomerTokens(PasswordResetTokenGenerator):
    key_salt = "customers.password_links"

    def _make_hash_value(self, customer, timestamp):
        return f"{customer.pk}{customer.password}{timestamp}{customer.email}"


tokens = _CustomerTokens()


def link_for(customer: Customer) -> str:
    uid = urlsafe_base64_encode(force_bytes(customer.pk))
    path = reverse("customers:set_password", args=[uid, tokens.make_token(customer)])
    return settings.SITE_URL.rstrip("/") + path


def customer_of_link(*, uidb64: str, token: str) -> Customer | None:
    """The customer whose valid, unused link this is, or None."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    customer = Customer.objects.filter(pk=pk, is_enabled=True).first()
    if customer is None or not tokens.check_token(customer, token):
        return None
    return customer

"""Two CSRs editing one address book at once (PostgreSQL row locks)."""

import pytest

from customers import services
from customers.models import Address, PaymentMethod
from tests.concurrency import run_together
from tests.customers.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ADDRESS = {"line1": "1 Main St", "city": "Toronto", "postal_code": "M5V 2T6", "country": "CA"}


def test_two_first_addresses_at_once_leave_exactly_one_default_of_each(csr):
    customer = CustomerFactory()
    _, errors = run_together(
        *[
            (
                lambda n=n: services.address_create(
                    actor=csr, customer=customer, data={**ADDRESS, "nickname": f"Home {n}"}
                )
            )
            for n in range(4)
        ]
    )
    assert errors == []
    assert Address.objects.filter(customer=customer).count() == 4
    assert Address.objects.filter(customer=customer, is_default_billing=True).count() == 1
    assert Address.objects.filter(customer=customer, is_default_shipping=True).count() == 1


def test_two_cards_at_once_leave_one_default(csr):
    customer = CustomerFactory()
    _, errors = run_together(
        *[
            (
                lambda n=n: services.payment_method_add(
                    actor=csr,
                    customer=customer,
                    gateway_token=f"sbx_approve_{n}",
                    brand="visa",
                    last4="4242",
                    exp_month=12,
                    exp_year=2031,
                )
            )
            for n in range(4)
        ]
    )
    assert errors == []
    assert PaymentMethod.objects.filter(customer=customer, is_default=True).count() == 1

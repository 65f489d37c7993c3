"""Factories for customers; other apps' tests may import them."""

import factory
from django.contrib.auth.hashers import make_password

from customers.models import Address, Customer, Organization, PaymentMethod, Segment


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"segment-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    account_number = factory.Sequence(lambda n: f"ACME-{n:05d}")
    name = factory.Sequence(lambda n: f"Acme Industries {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    logon_id = factory.Sequence(lambda n: f"customer{n}@example.com")
    password = factory.LazyFunction(lambda: make_password("Customer-pass-2026"))
    first_name = "Jane"
    last_name = factory.Sequence(lambda n: f"Roe{n}")
    email = factory.LazyAttribute(lambda o: o.logon_id)
    phone = factory.Sequence(lambda n: f"+1416555{n % 10000:04d}")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    nickname = factory.Sequence(lambda n: f"Home {n}")
    first_name = factory.LazyAttribute(lambda o: o.customer.first_name)
    last_name = factory.LazyAttribute(lambda o: o.customer.last_name)
    line1 = "100 King St W"
    city = "Toronto"
    region = "ON"
    postal_code = "M5X 1A9"
    country = "CA"


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    customer = factory.SubFactory(CustomerFactory)
    gateway_token = factory.Sequence(lambda n: f"sbx_approve_{n:08d}")
    brand = "visa"
    last4 = "4242"
    exp_month = 12
    exp_year = 2030


def customer_ready_to_order(**fields) -> Customer:
    """A registered caller as the desk meets one: a default home address in Toronto (billing and
    shipping) and a default stored Visa card."""
    customer = CustomerFactory(**fields)
    AddressFactory(
        customer=customer,
        nickname="Home",
        is_default_shipping=True,
        is_default_billing=True,
        postal_code="M5H 1A1",
    )
    PaymentMethodFactory(customer=customer, is_default=True, last4="4242")
    return customer

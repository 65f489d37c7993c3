"""Orders factories (other apps' tests may import these)."""

import factory

from orders.models import Order, OrderAddress, OrderLine


class OrderFactory(factory.django.DjangoModelFactory):
    """A pending guest cart; pass customer=... for a registered customer's cart."""

    class Meta:
        model = Order

    guest_first_name = "Gail"
    guest_last_name = factory.Sequence(lambda n: f"Guest{n}")
    guest_email = factory.LazyAttribute(lambda o: f"{o.guest_last_name.lower()}@example.com")
    created_by = factory.SubFactory(
        "tests.orders.factories.StaffFactory",
    )


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")


class OrderAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderAddress

    order = factory.SubFactory(OrderFactory)
    kind = OrderAddress.Kind.SHIPPING
    first_name = "Gail"
    last_name = "Guest"
    line1 = factory.Sequence(lambda n: f"{n} King St W")
    city = "Toronto"
    region = "ON"
    postal_code = "M5H 1A1"
    country = "CA"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.SubFactory("tests.catalog.factories.SKUFactory")
    quantity = 1

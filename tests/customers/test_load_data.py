import pytest

from customers.load_data import generate_customers
from customers.models import Address, Customer
from customers.selectors import find_customers

pytestmark = pytest.mark.django_db


def test_generate_customers_adds_searchable_customers_with_1_to_3_addresses():
    seen = []
    generate_customers(300, seen.append, seed=1)
    assert Customer.objects.count() == 300
    assert seen[-1] == 300
    per_customer = {c.pk: c.addresses.count() for c in Customer.objects.prefetch_related(None)}
    assert set(per_customer.values()) <= {1, 2, 3} and min(per_customer.values()) == 1
    assert Address.objects.filter(is_default_shipping=True).count() == 300
    customer = Customer.objects.order_by("pk").first()
    assert customer.phone_digits == customer.phone.lstrip("+")
    assert customer in find_customers(query=customer.phone_digits[-7:])
    address = customer.addresses.first()
    assert customer in find_customers(query=address.postal_code)
    generate_customers(10, None, seed=2)  # adds more, no clashes
    assert Customer.objects.count() == 310
    assert Customer.objects.values("logon_id").distinct().count() == 310

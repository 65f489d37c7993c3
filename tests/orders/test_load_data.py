"""generate_orders for `manage.py generate_load_data --orders N` and the search benchmark (COPY,
PostgreSQL only): every column the order table requires is filled, and the orders are found."""

import pytest

from catalog.load_data import generate_skus
from customers.load_data import generate_customers
from orders.load_data import generate_orders
from orders.models import Order, OrderAddress, OrderLine
from orders.selectors import order_search

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_generate_orders_adds_findable_orders_with_an_address_and_lines():
    generate_customers(20, seed=1)
    generate_skus(10, seed=1)
    seen = []
    assert generate_orders(60, seen.append, seed=1) == 60
    assert Order.objects.count() == 60 and seen[-1] == 60
    assert OrderAddress.objects.count() == 60
    assert 60 <= OrderLine.objects.count() <= 180
    guest = Order.objects.filter(customer__isnull=True).order_by("pk").first()
    assert guest in order_search(last_name=guest.guest_last_name)
    placed = Order.objects.exclude(number=None).order_by("pk").first()
    assert list(order_search(number=placed.number)) == [placed]

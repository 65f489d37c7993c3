"""The home screen's box: a caller by phone, e-mail, name, order number or ZIP, with their
open orders; guests' orders on their own."""

import pytest
from django.urls import reverse

from orders import services
from orders.callers import find_callers
from orders.models import Order, OrderStatus


@pytest.fixture
def calling(db, csr, customer):
    customer.phone = "+12135552553"
    customer.save(update_fields=["phone"])
    open_cart = services.cart_create(actor=csr, customer=customer)
    shipped = services.cart_create(actor=csr, customer=customer)
    Order.objects.filter(pk=shipped.pk).update(status=OrderStatus.SHIPPED, number="NW-000777")
    guest = services.cart_create(
        actor=csr,
        guest={"last_name": "Walker", "email": "gus@example.com", "phone": "416 555 0199"},
    )
    return open_cart, shipped, guest


@pytest.mark.parametrize("typed", ["(213) 555-2553", "jane@example.com", "Roe", "jane.roe"])
def test_a_caller_comes_with_their_open_orders(calling, customer, typed):
    open_cart, _shipped, _guest = calling
    lookup = find_callers(typed)
    assert [c.customer for c in lookup.callers] == [customer]
    assert lookup.callers[0].open_orders == [open_cart]


def test_an_order_number_finds_its_customer(calling, customer):
    open_cart, _shipped, _guest = calling
    lookup = find_callers("777")
    assert [c.customer for c in lookup.callers] == [customer]
    assert lookup.callers[0].open_orders == [open_cart]


def test_a_guest_phone_finds_the_guest_order(calling):
    _open_cart, _shipped, guest = calling
    lookup = find_callers("416-555-0199")
    assert lookup.callers == [] and lookup.guest_orders == [guest]


def test_caller_id_opens_the_home_screen_with_the_answer(csr_client, calling, customer):
    open_cart, _shipped, _guest = calling
    page = csr_client.get(reverse("home"), {"q": "+12135552553"}).content.decode()
    assert "Jane Roe" in page and str(open_cart) in page and "NW-000777" not in page
    assert reverse("customers:detail", args=[customer.pk]) in page


def test_nobody_matches(csr_client, db):
    page = csr_client.get(reverse("home"), {"q": "zzzz"}).content.decode()
    assert "Nobody matches" in page


def test_a_user_without_the_desk_role_sees_no_box(client, nobody, calling):
    client.force_login(nobody)
    page = client.get(reverse("home"), {"q": "Roe"}).content.decode()
    assert "Jane Roe" not in page and 'name="q"' not in page

"""The submit and the add-line paths run a fixed number of queries, whatever the number of lines
and of promotions that apply: no statement per line, per promotion or per event."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from orders import services
from orders.models import Order
from tests.catalog.factories import SKUFactory
from tests.orders.conftest import ADDRESS
from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

SIZES = [(5, 0), (5, 50), (30, 0), (30, 50)]


def priced_skus(count: int, promotions: int) -> list:
    """`count` priced SKUs and `promotions` product promotions over them, every other one
    limited (so its counter is taken at submit)."""
    from pricing.loader import bump_rules_version

    price_list = PriceListFactory(name="Base")
    skus = [SKUFactory() for _ in range(count)]
    for sku in skus:
        PriceListEntryFactory(price_list=price_list, sku=sku, price=Decimal("10.00"))
    for i in range(promotions):
        PromotionFactory(
            reward="product_percent",
            percent=Decimal("5"),
            skus=[skus[i % count]],
            limit_overall=1000 if i % 2 else None,
            priority=i,
        )
    bump_rules_version()
    return skus


def cart_with(csr, skus) -> Order:
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Gail", "last_name": "Guest", "email": "g@example.com"}
    )
    services.ship_to_add(actor=csr, order=cart, address=ADDRESS)
    for sku in skus:
        services.line_add(actor=csr, order=cart, sku_code=sku.code)
    services.billing_address_set(actor=csr, order=cart, address=ADDRESS)
    services.payment_set_card(
        actor=csr,
        order=cart,
        card_number="4242424242424242",
        exp_month=12,
        exp_year=2035,
        cvv="123",
    )
    return Order.objects.get(pk=cart.pk)


@pytest.mark.parametrize(("lines", "promotions"), SIZES)
def test_a_submit_runs_the_same_queries_for_any_cart(
    csr, ground, lines, promotions, django_assert_num_queries
):
    cart = cart_with(csr, priced_skus(lines, promotions))
    # Of the 25: 4 are the two steps' savepoints (the test's transaction makes each step's own
    # one a savepoint). Step 1, under the order's row lock (9): the order locked, the key looked
    # up, the addresses, the card, the lines (read once: checked, then priced), pricing's rows
    # of the order; the attempt, the order `submitted`, its events. Step 3, placing (12): the
    # order locked again; pricing's rows for the final pricing (the lines and their prices are
    # step 1's: they cannot change while the order is `submitted`), the coupons locked,
    # pricing's event; the lines locked and what they hold (allocation; the centers that serve
    # the ship-tos are the process's, read when they last changed); the number, the card, the
    # order, version 1, the attempt, the events. 2 more with limited promotions: their counters
    # made and locked in one statement, then counted in the same round trip as the pending uses
    # become final (SQLite makes them, then locks them; and it takes no data-modifying CTE, so
    # the counting is two statements: 4 more).
    limited = (2 if connection.vendor == "postgresql" else 4) if promotions else 0
    with django_assert_num_queries(25 + limited):
        result = services.submit_order(actor=csr, order=cart, idempotency_key="k")
    assert result.placed


@pytest.mark.parametrize(("lines", "promotions"), SIZES)
def test_adding_a_line_runs_the_same_queries_for_any_cart(
    client, csr, ground, lines, promotions, django_assert_num_queries
):
    skus = priced_skus(lines + 1, promotions)
    cart = cart_with(csr, skus[:-1])
    client.force_login(csr)
    url = reverse("orders:line_add", args=[cart.pk])
    # Of the 20 on PostgreSQL, 4 draw the answer: the new line with what it holds and its
    # associations, and the adjustments (the rest of the cart is not read again: only what
    # changed is sent). The repriced lines, the order's totals, the event of the added line and
    # its pending promotion use (when promotions apply) are one statement, and so is the claim
    # of the cart (its version bumped, the order read); SQLite sends each of them on its own.
    postgresql = connection.vendor == "postgresql"
    claim = 1 if postgresql else 2
    priced_result = 1 if postgresql else (4 if promotions else 3)
    with django_assert_num_queries(18 + claim + priced_result):
        response = client.post(
            url, {"sku": skus[-1].code, "version": cart.version}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert 'hx-swap-oob="beforeend:#cart-lines"' in response.text
    assert cart.lines.count() == lines + 1

"""Two CSRs giving their carts a ship-to at the same moment: the lines are allocated, never a
deadlock, whatever order the carts' lines are in (inventory row locks are taken in SKU order)."""

import pytest

from fulfillment.models import LineAllocation
from orders import services
from tests.catalog.factories import SKUFactory
from tests.concurrency import run_together
from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
from tests.orders.conftest import ADDRESS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_carts_with_the_same_skus_in_opposite_order_get_their_ship_tos_without_deadlock(
    csr, ground
):
    center = CenterFactory(code="TOR")
    ArrangementFactory(center=center, shipping_method=ground)
    skus = [SKUFactory() for _ in range(6)]
    for sku in skus:
        stock(sku, center, 1000)
    rounds = 5
    for _ in range(rounds):
        carts = []
        for order_of_lines in (skus, list(reversed(skus))):
            cart = services.cart_create(
                actor=csr, guest={"first_name": "G", "last_name": "H", "email": "g@example.com"}
            )
            for sku in order_of_lines:  # no ship-to yet: the lines wait to be allocated
                services.line_add(actor=csr, order=cart, sku_code=sku.code, quantity=1)
            carts.append(cart)
        _, errors = run_together(
            *[
                lambda cart=cart: services.ship_to_add(
                    actor=csr, order=cart, address=ADDRESS, assign_lines=True
                )
                for cart in carts
            ]
        )
        assert errors == []
    assert LineAllocation.objects.count() == rounds * 2 * len(skus)

"""Two CSRs giving their carts a ship-to at the same moment: the lines are allocated, never a
deadlock, whatever order the carts' lines are in (inventory row locks are taken in SKU order)."""

import threading
import time

import pytest
from django.db import connection, transaction

from fulfillment.models import Inventory, LineAllocation
from orders import services
from orders.models import Order, OrderStatus
from tests.catalog.factories import SKUFactory
from tests.concurrency import run_together
from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
from tests.orders.conftest import ADDRESS, make_ready


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_submit_whose_allocation_loses_a_deadlock_is_placed_all_the_same(
    guest_cart, csr, sku, sku2, center
):
    """A cart's add line that earns a free gift locks the added SKU's stock, then the gift's: in
    the opposite order to a submit holding both. PostgreSQL aborts one of the two; when that is
    the submit, whose card is already authorized, the placing is run again, not refused."""
    stock(sku2, center, 100)
    cart = make_ready(guest_cart, csr, sku)
    services.line_add(actor=csr, order=cart, sku_code=sku2.code, quantity=1)
    cart.refresh_from_db()
    low, high = sorted(Inventory.objects.filter(sku__in=[sku, sku2]).values_list("pk", flat=True))
    rival_holds_high, submit_waits = threading.Event(), threading.Event()

    def rival():  # the add line: the high row first, then the low one the submit holds
        with transaction.atomic(), connection.cursor() as cursor:
            # the submit, waiting longer, is the one PostgreSQL's deadlock check aborts
            cursor.execute("SET LOCAL deadlock_timeout = '30s'")
            cursor.execute(LOCK_INVENTORY_ROW, [high])
            rival_holds_high.set()
            assert submit_waits.wait(10)
            cursor.execute(LOCK_INVENTORY_ROW, [low])

    def submit():
        assert rival_holds_high.wait(10)
        return services.submit_order(actor=csr, order=cart, idempotency_key="deadlocked")

    def watch():  # tells the rival once the submit waits for the high row
        with connection.cursor() as cursor:
            for _ in range(500):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    submit_waits.set()
                    return
                time.sleep(0.02)

    results, errors = run_together(rival, submit, watch)
    assert errors == []
    placed = next(result for result in results if result is not None)
    assert placed.placed, placed.message
    assert Order.objects.get(pk=cart.pk).status == OrderStatus.AUTHORIZED


LOCK_INVENTORY_ROW = "SELECT id FROM fulfillment_inventory WHERE id = %s FOR UPDATE"

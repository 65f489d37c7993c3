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

    results, errors = run_together(rival, submit, lambda: _tell_when_waiting(submit_waits))
    assert errors == []
    placed = next(result for result in results if result is not None)
    assert placed.placed, placed.message
    assert Order.objects.get(pk=cart.pk).status == OrderStatus.AUTHORIZED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_add_line_that_earns_a_gift_locks_both_stock_rows_in_order(
    guest_cart, csr, sku, sku2, ground
):
    """The line and the gift it earns are allocated in one pass, their stock rows locked in id
    order as a submit locks them: a submit holding the gift's row, then taking the line's, is
    never in a deadlock with it (the line's row first, then the gift's, it was)."""
    from pricing.models import Reward
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

    center = CenterFactory(code="TOR")
    ArrangementFactory(center=center, shipping_method=ground)
    stock(sku2, center, 100)  # the gift's row first: the lower id, which a submit locks first
    stock(sku, center, 100)
    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku)
    PromotionFactory(
        name="A pen with a notebook", reward=Reward.ORDER_GIFT, percent=None, gift_sku=sku2
    )
    services.ship_to_add(
        actor=csr, order=guest_cart, address=ADDRESS, shipping_method_code="ground"
    )
    gift_row, line_row = (Inventory.objects.get(sku=s).pk for s in (sku2, sku))
    assert gift_row < line_row
    rival_holds_gift_row, add_line_waits = threading.Event(), threading.Event()

    def rival():  # as a submit of another cart holding both: the gift's row, then the line's
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(LOCK_INVENTORY_ROW, [gift_row])
            rival_holds_gift_row.set()
            assert add_line_waits.wait(10)
            cursor.execute(LOCK_INVENTORY_ROW, [line_row])

    def add_line():
        assert rival_holds_gift_row.wait(10)
        with connection.cursor() as cursor:  # a deadlock would be found by the rival's check
            cursor.execute("SET deadlock_timeout = '30s'")
        return services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=1)

    _, errors = run_together(rival, add_line, lambda: _tell_when_waiting(add_line_waits))
    assert errors == []
    lines = guest_cart.lines.order_by("pk")
    assert [(ln.sku_id, ln.is_gift, ln.inventory_status) for ln in lines] == [
        (sku.pk, False, "allocated"),
        (sku2.pk, True, "allocated"),
    ]


def _tell_when_waiting(event: threading.Event) -> None:
    """Sets `event` once a session of this database waits for a lock."""
    with connection.cursor() as cursor:
        for _ in range(500):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                event.set()
                return
            time.sleep(0.02)


LOCK_INVENTORY_ROW = "SELECT id FROM fulfillment_inventory WHERE id = %s FOR UPDATE"

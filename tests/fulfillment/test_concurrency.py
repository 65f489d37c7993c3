"""Real threads on PostgreSQL: no overselling, no line swept twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment.models import Inventory, LineAllocation
from fulfillment.sweep import run_sweep
from orders import allocation
from orders.models import OrderEvent, OrderLine
from tests.catalog.factories import SKUFactory
from tests.concurrency import run_together
from tests.fulfillment.factories import CenterFactory, stock
from tests.orders.factories import OrderFactory, OrderLineFactory, StaffFactory

pytestmark = [pytest.mark.postgres]


def test_fifty_concurrent_allocations_never_oversell(transactional_db):
    center = CenterFactory(code="TOR")
    sku = SKUFactory()
    stock(sku, center, 10)
    staff = StaffFactory()
    lines = [
        OrderLineFactory(order=OrderFactory(created_by=staff), sku=sku, quantity=1)
        for _ in range(50)
    ]
    _, errors = run_together(*[lambda x=x: allocation.allocate_line(line=x) for x in lines])
    assert errors == []
    row = Inventory.objects.get(sku=sku, center=center)
    assert (row.on_hand, row.allocated) == (10, 10)
    statuses = list(OrderLine.objects.values_list("inventory_status", flat=True))
    assert statuses.count("allocated") == 10 and statuses.count("backordered") == 40
    assert LineAllocation.objects.filter(kind="on_hand").count() == 10
    assert LineAllocation.objects.filter(kind="backorder").count() == 40


def test_two_sweep_workers_never_take_the_same_line(transactional_db):
    center = CenterFactory(code="TOR")
    skus = SKUFactory.create_batch(5)
    for s in skus:
        stock(s, center, 1000)
    staff = StaffFactory()
    carts = [OrderFactory(created_by=staff) for _ in range(40)]
    for i, cart in enumerate(carts):
        for s in skus:
            OrderLineFactory(order=cart, sku=s, quantity=1 + i % 3)
        allocation.allocate_order(order=cart)
    LineAllocation.objects.update(allocated_at=timezone.now() - timedelta(days=1))
    cutoff = timezone.now() - timedelta(hours=1)
    counts, errors = run_together(*[lambda: run_sweep(cutoff=cutoff, batch_size=7)] * 2)
    assert errors == []
    assert sum(counts) == 200  # every line exactly once between the two
    assert all(c > 0 for c in counts) or sum(counts) == 200
    assert not LineAllocation.objects.exists()
    assert set(Inventory.objects.values_list("allocated", flat=True)) == {0}
    released = [
        line_id
        for data in OrderEvent.objects.filter(event_type=512).values_list("data", flat=True)
        for line_id, _kind, _qty in data["released"]
    ]
    assert len(released) == len(set(released)) == 200


def test_the_sweep_skips_a_cart_a_csr_is_changing_or_submitting(transactional_db):
    """A submit claims the cart (its order row) before it reads the lines. Were the sweep to
    take the lines meanwhile, the submit would go on with what it read: an order placed with a
    line that holds nothing. The sweep skips the claimed cart; the next run takes it."""
    import threading

    from django.db import connection, transaction

    from orders.services._common import _claim

    center = CenterFactory(code="TOR")
    sku = SKUFactory()
    stock(sku, center, 10)
    cart = OrderFactory(created_by=StaffFactory())
    line = OrderLineFactory(order=cart, sku=sku, quantity=2)
    allocation.allocate_order(order=cart)
    LineAllocation.objects.update(allocated_at=timezone.now() - timedelta(days=1))
    cutoff = timezone.now() - timedelta(hours=1)
    claimed, swept_meanwhile = threading.Event(), threading.Event()

    def csr_claims_the_cart():
        try:
            with transaction.atomic():
                _claim(cart.pk, None)
                claimed.set()
                swept_meanwhile.wait(timeout=30)
        finally:
            connection.close()

    csr = threading.Thread(target=csr_claims_the_cart)
    csr.start()
    claimed.wait(timeout=30)
    try:
        during = run_sweep(cutoff=cutoff)
    finally:
        swept_meanwhile.set()
        csr.join()

    assert during == 0
    line.refresh_from_db()
    assert line.inventory_status == "allocated"
    assert run_sweep(cutoff=cutoff) == 1  # once the CSR is done

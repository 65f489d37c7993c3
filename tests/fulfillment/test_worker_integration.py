"""Receive inventory -> the backorder task runs in a real Celery worker -> lines allocated."""

import time

import pytest

from fulfillment import tasks
from fulfillment.inventory import stock as inventory_stock
from fulfillment.models import Inventory
from orders import allocation
from orders.models import Order, OrderLine
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import CenterFactory, expect
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.worker import celery_worker

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_receiving_allocates_backorders_in_the_worker(transactional_db, operations, monkeypatch):
    center = CenterFactory(code="TOR")
    sku = SKUFactory()
    exp = expect(sku, center, 6)
    order = OrderFactory(created_by=operations, status="backordered")
    lines = [OrderLineFactory(order=order, sku=sku, quantity=3) for _ in range(2)]
    allocation.allocate_order(order=order)
    assert set(OrderLine.objects.values_list("inventory_status", flat=True)) == {"backordered"}

    with celery_worker() as queue:
        monkeypatch.setattr(tasks, "TASK_OPTIONS", {"queue": queue})
        inventory_stock.receive_expected(actor=operations, expected=exp, quantity=6)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            statuses = set(
                OrderLine.objects.filter(pk__in=[x.pk for x in lines]).values_list(
                    "inventory_status", flat=True
                )
            )
            if statuses == {"allocated"}:
                break
            time.sleep(0.2)
    assert statuses == {"allocated"}
    assert Inventory.objects.get(sku=sku, center=center).allocated == 6
    assert Order.objects.get(pk=order.pk).status == "authorized"

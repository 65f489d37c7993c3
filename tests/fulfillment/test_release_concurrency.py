"""PostgreSQL: two workers run the release job at once; each release is created once."""

import time

import pytest

from fulfillment.models import Release, ReleaseLine
from fulfillment.releases import run_release
from orders.models import Order, OrderEvent, OrderLine
from tests.catalog.factories import SKUFactory
from tests.concurrency import run_together
from tests.fulfillment.factories import (
    ArrangementFactory,
    CenterFactory,
    ShippingMethodFactory,
    stock,
)
from tests.fulfillment.release_helpers import accepted_order
from tests.orders.factories import StaffFactory
from tests.worker import celery_worker

pytestmark = [pytest.mark.postgres]


def make_orders(count):
    tor, van = CenterFactory(code="TOR"), CenterFactory(code="VAN")
    ground = ShippingMethodFactory(code="ground")
    ArrangementFactory(center=tor, shipping_method=ground, precedence=1)
    ArrangementFactory(center=van, shipping_method=ground, precedence=2)
    a, b = SKUFactory(), SKUFactory()
    stock(a, tor, 10_000)
    stock(b, van, 10_000)
    staff = StaffFactory()
    return [
        accepted_order(created_by=staff, method=ground, lines=[(a, 1), (b, 2), (a, 3)])
        for _ in range(count)
    ]


def test_two_workers_at_once_release_each_order_once(transactional_db):
    orders = make_orders(60)
    results, errors = run_together(*[lambda: run_release(batch_size=7)] * 2)
    assert errors == []
    assert sum(r.orders for r in results) == 60
    assert sum(r.releases for r in results) == 120  # two centers each
    assert Release.objects.count() == 120
    assert ReleaseLine.objects.count() == 180
    assert set(Order.objects.values_list("status", flat=True)) == {"released"}
    assert set(OrderLine.objects.values_list("inventory_status", flat=True)) == {"released"}
    assert OrderEvent.objects.filter(event_type=401, data__new="released").count() == len(orders)
    assert run_release().orders == 0


@pytest.mark.integration
def test_the_release_task_runs_in_a_real_worker(transactional_db):
    """As beat would: the task is sent by name to the broker and a real worker runs it."""
    from config.celery import app

    make_orders(5)
    with celery_worker() as queue:
        result = app.send_task(
            "fulfillment.release_orders", kwargs={"triggered_by": "beat"}, queue=queue
        )
        counts = result.get(timeout=60)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Release.objects.count() < 10:
            time.sleep(0.1)
    assert counts["orders"] == 5 and counts["releases"] == 10
    assert Release.objects.count() == 10
    from core.models import JobRun

    assert JobRun.objects.get(job="release_orders").triggered_by == "beat"

"""The release job: grouping, ATP choices, events, idempotency, the command and the task."""

import pytest
from django.core.management import call_command

from core.models import JobRun
from fulfillment.models import Release, ReleaseLine
from fulfillment.releases import run_release
from orders.allocation import allocate_waiting_backorders
from orders.models import Order, OrderEvent, OrderLine
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import ArrangementFactory, stock
from tests.fulfillment.release_helpers import accepted_order, ship_to
from tests.ownership import only_owners_write


@pytest.fixture
def setup(db, tor, van, ground):
    ArrangementFactory(center=tor, shipping_method=ground, precedence=1)
    ArrangementFactory(center=van, shipping_method=ground, precedence=2)
    return tor, van, ground


def statuses(order):
    return sorted(OrderLine.objects.filter(order=order).values_list("inventory_status", flat=True))


def test_one_release_per_center_method_and_ship_to(setup, operations, express_method):
    tor, van, ground = setup
    ArrangementFactory(center=tor, shipping_method=express_method)
    a, b, c = SKUFactory(), SKUFactory(), SKUFactory()
    stock(a, tor, 10)
    stock(b, van, 10)  # only Vancouver holds b
    stock(c, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2), (b, 1)])
    other = ship_to(order, express_method, city="Ottawa")
    from tests.orders.factories import OrderLineFactory

    extra = OrderLineFactory(order=order, sku=c, quantity=3, ship_to=other)
    from orders.allocation import allocate_order

    allocate_order(order=order)
    assert OrderLine.objects.get(pk=extra.pk).inventory_status == "allocated"

    counts = run_release(actor=None)
    assert (counts.orders, counts.releases, counts.lines) == (1, 3, 3)
    groups = {
        (r.center.code, r.shipping_method.code, r.ship_to_id): [
            (x.sku_id, x.quantity) for x in r.lines.all()
        ]
        for r in Release.objects.all()
    }
    assert groups == {
        ("TOR", "ground", _ship_to_of(order, a)): [(a.pk, 2)],
        ("VAN", "ground", _ship_to_of(order, b)): [(b.pk, 1)],
        ("TOR", "express", other.pk): [(c.pk, 3)],
    }
    order.refresh_from_db()
    assert order.status == "released"
    assert statuses(order) == ["released"] * 3
    event = OrderEvent.objects.filter(order=order, event_type=401).latest("id")
    assert (event.data["old"], event.data["new"]) == ("authorized", "released")
    assert sorted(event.data["releases"]) == sorted(
        Release.objects.values_list("number", flat=True)
    )
    numbers = sorted(Release.objects.values_list("number", flat=True))
    assert numbers == [f"{order.number}-R{i}" for i in (1, 2, 3)]


def _ship_to_of(order, sku):
    return OrderLine.objects.get(order=order, sku=sku).ship_to_id


def test_ship_complete_waits_until_every_line_is_allocated(setup, operations):
    tor, _van, ground = setup
    a, b = SKUFactory(), SKUFactory()
    stock(a, tor, 10)
    stock(b, tor, 1)
    order = accepted_order(
        created_by=operations, method=ground, lines=[(a, 2), (b, 3)], atp="ship_complete"
    )
    assert order.status == "backordered"
    counts = run_release()
    assert counts.orders == 0 and counts.skipped_ship_complete == 1
    assert not Release.objects.exists()
    # the stock arrives: the backorder allocates and the next run releases everything
    stock(b, tor, 5)
    from orders.allocation import allocate_waiting_backorders

    allocate_waiting_backorders(sku_ids=[b.pk])
    assert statuses(order) == ["allocated", "allocated"]
    counts = run_release()
    assert counts.orders == 1 and counts.lines == 2
    assert Order.objects.get(pk=order.pk).status == "released"


def test_ship_available_first_releases_what_is_allocated_and_the_rest_later(setup, operations):
    tor, van, ground = setup
    a, b = SKUFactory(), SKUFactory()
    stock(a, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2), (b, 3)])
    assert order.status == "backordered"
    assert run_release().lines == 1
    order.refresh_from_db()
    assert order.status == "released"
    assert statuses(order) == ["backordered", "released"]
    stock(b, van, 3)
    from orders.allocation import allocate_waiting_backorders

    allocate_waiting_backorders(sku_ids=[b.pk])
    counts = run_release()
    assert counts.orders == 1 and counts.releases == 1
    assert Release.objects.filter(order=order).count() == 2
    more = OrderEvent.objects.filter(order=order, event_type=428).get()  # released again
    assert more.data["releases"] == [f"{order.number}-R2"]
    assert sorted(Release.objects.values_list("sequence", flat=True)) == [1, 2]
    assert statuses(order) == ["released", "released"]


def test_ship_available_drop_releases_what_is_allocated(setup, operations):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 10)
    order = accepted_order(
        created_by=operations, method=ground, lines=[(a, 2)], atp="ship_available_drop"
    )
    assert run_release().orders == 1
    assert Order.objects.get(pk=order.pk).status == "released"


def test_payment_review_pending_and_canceled_orders_are_not_released(setup, operations):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 10)
    for status in ("payment_review", "pending", "canceled", "submitted"):
        order = accepted_order(created_by=operations, method=ground, lines=[(a, 1)])
        Order.objects.filter(pk=order.pk).update(status=status)
    assert run_release().orders == 0
    assert not Release.objects.exists()


def test_running_twice_creates_each_release_once(setup, operations):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 100)
    for _ in range(5):
        accepted_order(created_by=operations, method=ground, lines=[(a, 2), (a, 1)])
    first = run_release(batch_size=2)
    assert first.orders == 5 and first.releases == 5
    assert run_release().orders == 0
    assert Release.objects.count() == 5 and ReleaseLine.objects.count() == 10


def test_dry_run_writes_nothing(setup, operations, capsys):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2)])
    call_command("release_orders", "--dry-run")
    out = capsys.readouterr().out
    assert "Would release 1 orders: 1 releases" in out
    assert not Release.objects.exists()
    assert Order.objects.get(pk=order.pk).status == "authorized"
    assert not JobRun.objects.exists()


def test_the_command_releases_and_records_the_run(setup, operations, capsys):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 10)
    accepted_order(created_by=operations, method=ground, lines=[(a, 2)])
    call_command("release_orders")
    assert "Released 1 orders: 1 releases, 1 lines" in capsys.readouterr().out
    run = JobRun.objects.get()
    assert run.job == "release_orders" and run.counts["orders"] == 1 and run.finished_at


def test_the_task_runs_the_job(setup, operations):
    from fulfillment import tasks

    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 10)
    accepted_order(created_by=operations, method=ground, lines=[(a, 2)])
    result = tasks.release_orders.delay().get()
    assert result["releases"] == 1
    assert tasks.release_orders.delay().get()["releases"] == 0


def test_a_batch_that_fails_leaves_no_half_released_order(setup, operations, monkeypatch):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2), (a, 1)])

    def boom(*args, **kwargs):
        raise RuntimeError("worker killed")

    from fulfillment import releases

    monkeypatch.setattr(releases, "mark_orders_released", boom)  # after the releases are inserted
    with pytest.raises(RuntimeError):
        run_release()
    monkeypatch.undo()
    assert not Release.objects.exists()
    assert statuses(order) == ["allocated", "allocated"]
    assert run_release().orders == 1


def test_release_batch_query_count_does_not_grow_with_orders(
    setup, operations, django_assert_max_num_queries
):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 1000)
    for _ in range(20):
        accepted_order(created_by=operations, method=ground, lines=[(a, 1), (a, 2)])
    with django_assert_max_num_queries(20):
        counts = run_release(batch_size=100)
    assert counts.orders == 20


def test_only_orders_writes_orders_tables_during_a_release(setup, operations):
    tor, _van, ground = setup
    a, b = SKUFactory(), SKUFactory()
    stock(a, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2), (b, 1)])
    run_release()  # the order is released (a); b waits
    stock(b, tor, 10)
    allocate_waiting_backorders(sku_ids=[b.pk])
    accepted_order(created_by=operations, method=ground, lines=[(a, 1)])
    with only_owners_write("orders") as writes:
        counts = run_release()
    assert counts.orders == 2  # one released again, one released for the first time
    assert {w.table for w in writes} == {"orders_order", "orders_orderline", "orders_orderevent"}
    assert OrderEvent.objects.filter(order=order, event_type=428).exists()


def test_the_ownership_check_fails_on_a_write_from_outside_orders(setup, operations):
    tor, _van, ground = setup
    a = SKUFactory()
    stock(a, tor, 10)
    order = accepted_order(created_by=operations, method=ground, lines=[(a, 2)])
    stranger = r"UPDATE orders_order \(owned by orders\) from tests.fulfillment.test_releases"
    with pytest.raises(AssertionError, match=stranger), only_owners_write("orders"):
        Order.objects.filter(pk=order.pk).update(attention="written by a stranger")

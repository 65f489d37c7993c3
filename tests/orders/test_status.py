"""orders/status.py: the one writer of order and line status, single and bulk."""

import pytest

from core.errors import InvalidTransition
from orders.models import Order, OrderEvent, OrderLine
from orders.status import (
    OrderMove,
    orders_follow,
    transition_lines,
    transition_order,
    transition_orders,
)
from tests.orders.factories import OrderFactory, OrderLineFactory


def test_a_transition_writes_status_version_and_its_event(db, csr):
    order = OrderFactory(created_by=csr)
    transition_order(order, "submitted", actor=csr, key="k1")
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.version) == ("submitted", 2) == (order.status, order.version)
    event = OrderEvent.objects.get(order=order)
    assert (event.event_type, event.actor) == (401, csr)
    assert event.data == {"old": "pending", "new": "submitted", "key": "k1"}


def test_a_move_the_state_table_forbids_writes_nothing(db, csr):
    order = OrderFactory(created_by=csr, status="shipped")
    with pytest.raises(InvalidTransition, match="shipped cannot become pending"):
        transition_order(order, "pending", actor=csr)
    with pytest.raises(InvalidTransition):
        transition_orders([OrderMove(order.pk, "shipped", {})], "released", actor=csr)
    assert Order.objects.get(pk=order.pk).status == "shipped"
    assert not OrderEvent.objects.exists()


def test_bulk_transitions_move_each_order_and_line_once(db, csr):
    orders = [OrderFactory(created_by=csr, status="authorized") for _ in range(3)]
    transition_orders(
        [OrderMove(o.pk, "authorized", {"why": "test", "n": i}) for i, o in enumerate(orders)],
        "released",
        actor=csr,
    )
    assert set(Order.objects.values_list("status", "version")) == {("released", 2)}
    events = OrderEvent.objects.order_by("order_id")
    assert [e.data["n"] for e in events] == [0, 1, 2]
    lines = [OrderLineFactory(order=orders[0], inventory_status="allocated") for _ in range(2)]
    transition_lines({x.pk: "allocated" for x in lines}, "released")
    assert set(OrderLine.objects.values_list("inventory_status", flat=True)) == {"released"}
    with pytest.raises(InvalidTransition):
        transition_lines({lines[0].pk: "released"}, "allocated")


def test_backordered_orders_follow_their_lines(db, csr):
    ready = OrderFactory(created_by=csr, status="backordered")
    OrderLineFactory(order=ready, inventory_status="allocated")
    OrderLineFactory(order=ready, inventory_status="canceled")
    waiting = OrderFactory(created_by=csr, status="backordered")
    OrderLineFactory(order=waiting, inventory_status="allocated")
    OrderLineFactory(order=waiting, inventory_status="backordered")
    orders_follow([ready.pk, waiting.pk], actor=csr)
    assert Order.objects.get(pk=ready.pk).status == "authorized"
    assert Order.objects.get(pk=waiting.pk).status == "backordered"
    event = OrderEvent.objects.get()
    assert event.order_id == ready.pk and event.data["why"] == "backorders allocated"

"""Inventory writes only fulfillment's tables and orders only its own, on every allocation path
(allocate, release, backorders on receipt, ATP drop, backorder split, stale sweep)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.db import Step, run_steps
from fulfillment import sweep
from fulfillment.inventory import stock as inventory_stock
from fulfillment.models import LineAllocation
from orders import allocation, backorders
from orders.models import AvailabilityChoice, Order
from tests.fulfillment.factories import expect, stock
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.ownership import only_owners_write

pytestmark = pytest.mark.django_db


def test_allocate_and_release_write_each_table_from_its_owner(cart, tor, sku):
    stock(sku, tor, 2)
    expect(sku, tor, 5)
    line = OrderLineFactory(order=cart, sku=sku, quantity=4)
    with only_owners_write("orders", "fulfillment"):
        allocation.allocate_line(line=line)
        allocation.allocate_order(order=cart)
        allocation.deallocate_line(line=line)
        allocation.allocate_line(line=line)
        allocation.delete_lines(line_ids=[line.pk])
    assert not LineAllocation.objects.exists()


def test_backorders_on_receipt_and_the_order_following_write_from_their_owners(
    operations, csr, tor, sku, django_capture_on_commit_callbacks
):
    exp = expect(sku, tor, 5)
    order = OrderFactory(created_by=csr, status="backordered")
    line = OrderLineFactory(order=order, sku=sku, quantity=3)
    allocation.allocate_line(line=line)
    with (
        only_owners_write("orders", "fulfillment"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        inventory_stock.receive_expected(actor=operations, expected=exp, quantity=5)
    assert Order.objects.get(pk=order.pk).status == "authorized"


@pytest.mark.parametrize("status", ["pending", "authorized"])
def test_atp_drop_and_backorder_split_write_from_their_owners(csr, tor, sku, status, monkeypatch):
    monkeypatch.setattr(backorders, "_reprice", lambda order, actor: None)
    monkeypatch.setattr(allocation, "_reprice", lambda order, actor: None)
    stock(sku, tor, 1)
    for choice in ("split", AvailabilityChoice.SHIP_AVAILABLE_DROP_BACKORDERS):
        order = OrderFactory(created_by=csr, status=status)
        OrderLineFactory(order=order, sku=sku, quantity=3, unit_price="5.00", line_total="15.00")
        allocation.allocate_order(order=order)
        with only_owners_write("orders", "fulfillment"):
            if choice == "split":
                backorders.move_backorders_to_new_order(order=order, actor=csr)
            else:
                allocation.apply_atp_choice(order=order, choice=choice, actor=csr)


def test_the_stale_sweep_writes_from_the_owners(csr, tor, sku):
    stock(sku, tor, 10)
    expect(sku, tor, 5)
    lines = [
        OrderLineFactory(order=OrderFactory(created_by=csr), sku=sku, quantity=4) for _ in range(3)
    ]
    for line in lines:
        allocation.allocate_line(line=line)
    LineAllocation.objects.update(allocated_at=timezone.now() - timedelta(days=1))
    with only_owners_write("orders", "fulfillment") as writes:
        assert sweep.sweep_stale_allocations() == 3
    assert not LineAllocation.objects.exists()
    assert {(w.verb, w.table) for w in writes} >= {  # seen, so the check could have failed
        ("DELETE", "fulfillment_lineallocation"),
        ("UPDATE", "orders_orderline"),
        ("INSERT", "orders_orderevent"),
        ("UPDATE", "fulfillment_inventory"),
    }


@pytest.mark.postgres
def test_a_step_that_writes_another_apps_table_is_reported(cart, sku):
    OrderLineFactory(order=cart, sku=sku, quantity=1)
    reported = pytest.raises(AssertionError, match=r"UPDATE orders_orderline .* from tests")
    with reported, only_owners_write("orders"):
        step = Step("bumped", "UPDATE orders_orderline SET quantity = quantity + 1 RETURNING id")
        run_steps([step], "SELECT count(*) FROM bumped")

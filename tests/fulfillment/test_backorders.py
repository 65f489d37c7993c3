"""Backorders allocated on receipt, ATP choices, moving backorders to a separate order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError
from fulfillment import sweep
from fulfillment.inventory import stock as inventory_stock
from fulfillment.models import ExpectedInventory, Inventory, LineAllocation
from orders import allocation, backorders
from orders.models import AvailabilityChoice, Order, OrderEvent, OrderLine
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import ArrangementFactory, expect, stock
from tests.orders.factories import OrderAddressFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def test_receipt_allocates_backorders_oldest_first_and_order_follows(
    operations, csr, tor, sku, django_capture_on_commit_callbacks
):
    exp = expect(sku, tor, 5)
    older = OrderFactory(created_by=csr, status="backordered")
    newer = OrderFactory(created_by=csr, status="backordered")
    a = OrderLineFactory(order=older, sku=sku, quantity=3)
    allocation.allocate_line(line=a)
    b = OrderLineFactory(order=newer, sku=sku, quantity=3)
    allocation.allocate_line(line=b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.inventory_status, b.inventory_status) == ("backordered", "backordered")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        inventory_stock.receive_expected(actor=operations, expected=exp, quantity=4)
    assert len(callbacks) == 2  # the backorder task, then the orders following
    a.refresh_from_db()
    b.refresh_from_db()
    older.refresh_from_db()
    newer.refresh_from_db()
    assert a.inventory_status == "allocated"  # the oldest got all 3
    assert b.inventory_status == "backordered"  # 1 now, 2 still waiting
    assert older.status == "authorized" and newer.status == "backordered"
    assert OrderEvent.objects.filter(order=older, event_type=401).exists()
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 4
    exp.refresh_from_db()
    assert (exp.received_quantity, exp.promised_quantity) == (4, 1)
    # idempotent: running again changes nothing
    assert allocation.allocate_waiting_backorders(sku_ids=[sku.pk]) == 0
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 4


def test_adjust_up_allocates_undated_backorders(
    operations, cart, tor, sku, django_capture_on_commit_callbacks
):
    line = OrderLineFactory(order=cart, sku=sku, quantity=2)
    allocation.allocate_line(line=line)
    assert LineAllocation.objects.get(line=line).kind == "backorder"
    with django_capture_on_commit_callbacks(execute=True):
        inventory_stock.adjust_inventory(
            actor=operations, sku=sku, center=tor, quantity=5, reason="found"
        )
    line.refresh_from_db()
    assert line.inventory_status == "allocated"


def _mixed_order(csr, tor):
    order = OrderFactory(created_by=csr)
    full, part, none_ = SKUFactory.create_batch(3)
    stock(full, tor, 5)
    stock(part, tor, 1)
    expect(none_, tor, 4)
    lines = [
        OrderLineFactory(order=order, sku=full, quantity=2, unit_price="10.00", line_total="20.00"),
        OrderLineFactory(order=order, sku=part, quantity=3, unit_price="5.00", line_total="15.00"),
        OrderLineFactory(order=order, sku=none_, quantity=2, unit_price="7.00", line_total="14.00"),
    ]
    allocation.allocate_order(order=order)
    return order, lines


@pytest.mark.parametrize(
    "choice", [AvailabilityChoice.SHIP_COMPLETE, AvailabilityChoice.SHIP_AVAILABLE_FIRST]
)
def test_atp_choice_recorded_without_changing_lines(csr, tor, choice):
    order, _lines = _mixed_order(csr, tor)
    messages = allocation.apply_atp_choice(order=order, choice=choice, actor=csr)
    order.refresh_from_db()
    assert order.atp_choice == choice and messages
    assert order.lines.count() == 3
    assert OrderEvent.objects.filter(order=order, event_type=514).count() == 1


def test_atp_drop_backorders_trims_lines_and_releases_promises(csr, tor):
    order, (_full, part, none_) = _mixed_order(csr, tor)
    version = Order.objects.get(pk=order.pk).version
    messages = allocation.apply_atp_choice(
        order=order, choice=AvailabilityChoice.SHIP_AVAILABLE_DROP_BACKORDERS, actor=csr
    )
    assert len(messages) == 2
    part.refresh_from_db()
    assert (part.quantity, part.inventory_status) == (1, "allocated")
    assert not OrderLine.objects.filter(pk=none_.pk).exists()
    assert ExpectedInventory.objects.get(sku=none_.sku).promised_quantity == 0
    assert Order.objects.get(pk=order.pk).version == version + 1
    assert set(LineAllocation.objects.filter(line__order=order).values_list("kind", flat=True)) == {
        "on_hand"
    }


def test_unknown_atp_choice_refused(csr, cart):
    with pytest.raises(DomainError, match="Unknown availability choice"):
        allocation.apply_atp_choice(order=cart, choice="whenever", actor=csr)


def test_move_backorders_to_new_order(csr, tor, monkeypatch):
    repriced = []
    monkeypatch.setattr(backorders, "_reprice", lambda order, actor: repriced.append(order.pk))
    order, (_full, part, none_) = _mixed_order(csr, tor)
    ship = OrderAddressFactory(order=order)
    OrderLine.objects.filter(order=order).update(ship_to=ship)
    Order.objects.filter(pk=order.pk).update(current_ship_to=ship)
    new = backorders.move_backorders_to_new_order(order=Order.objects.get(pk=order.pk), actor=csr)
    assert new.pk != order.pk and new.status == "pending"
    assert new.guest_last_name == order.guest_last_name and new.customer_id == order.customer_id
    new_lines = {line.sku_id: line for line in new.lines.all()}
    assert new_lines[part.sku_id].quantity == 2 and new_lines[none_.sku_id].quantity == 2
    assert str(new_lines[part.sku_id].unit_price) == "5.00"
    assert new_lines[part.sku_id].ship_to.order_id == new.pk
    assert new.current_ship_to.order_id == new.pk
    part.refresh_from_db()
    assert (part.quantity, part.inventory_status) == (1, "allocated")
    assert order.lines.count() == 2
    # what waits for stock moved with the lines
    assert set(LineAllocation.objects.filter(line__order=new).values_list("kind", flat=True)) == {
        "expected",
        "backorder",
    }
    assert repriced == [order.pk, new.pk]
    assert OrderEvent.objects.filter(order=order, event_type=515).exists()
    assert OrderEvent.objects.filter(order=new, event_type=516).exists()


def test_move_without_backorders_refused(csr, cart, tor, sku):
    stock(sku, tor, 5)
    allocation.allocate_line(line=OrderLineFactory(order=cart, sku=sku, quantity=1))
    with pytest.raises(DomainError, match="no backordered lines"):
        backorders.move_backorders_to_new_order(order=cart, actor=csr)
    assert Order.objects.count() == 1


def test_stale_sweep_releases_old_cart_lines_only(csr, tor, sku, ground):
    ArrangementFactory(center=tor, shipping_method=ground)
    stock(sku, tor, 20)
    cart = OrderFactory(created_by=csr)
    submitted = OrderFactory(created_by=csr, status="submitted")
    old_cart_line = OrderLineFactory(
        order=cart,
        sku=sku,
        quantity=3,
        ship_to=OrderAddressFactory(order=cart, shipping_method=ground),
    )
    old_order_line = OrderLineFactory(order=submitted, sku=sku, quantity=4)
    fresh_cart = OrderFactory(created_by=csr)
    fresh_line = OrderLineFactory(order=fresh_cart, sku=sku, quantity=5)
    allocation.allocate_line(line=old_cart_line)
    allocation.allocate_line(line=old_order_line)
    allocation.allocate_line(line=fresh_line)
    LineAllocation.objects.filter(line__in=[old_cart_line, old_order_line]).update(
        allocated_at=timezone.now() - timedelta(hours=5)
    )
    seen = []
    assert sweep.sweep_stale_allocations(batch_size=1, progress=seen.append) == 1
    assert seen == [1]
    old_cart_line.refresh_from_db()
    assert old_cart_line.inventory_status == "unallocated"
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 9
    assert OrderEvent.objects.filter(order=cart, event_type=512).count() == 1
    assert sweep.sweep_stale_allocations() == 0  # idempotent

    # the CSR reopens the cart: the line is held again, and says so
    stock(sku, tor, 10)  # meanwhile only 1 left for this cart
    messages = allocation.refresh_cart_allocation(order=cart, actor=csr)
    assert messages == [
        f"{sku.code}: only 1 of 3 available now; 1 allocated from TOR; "
        "2 backordered with no expected date."
    ]
    assert allocation.refresh_cart_allocation(order=cart, actor=csr) == []


def test_each_swept_cart_gets_one_event_listing_what_it_released(csr, tor, sku):
    stock(sku, tor, 3)
    expected = expect(sku, tor, 10)
    cart, other = OrderFactory(created_by=csr), OrderFactory(created_by=csr)
    split = OrderLineFactory(order=cart, sku=sku, quantity=5)  # 3 on hand, 2 expected
    whole = OrderLineFactory(order=cart, sku=sku, quantity=1)  # expected
    alone = OrderLineFactory(order=other, sku=sku, quantity=2)  # expected
    for line in (split, whole, alone):
        allocation.allocate_line(line=line)
    LineAllocation.objects.update(allocated_at=timezone.now() - timedelta(days=1))
    now = timezone.now()
    cutoff = (now - sweep.allocation_good_for()).isoformat()

    assert sweep.sweep_stale_allocations(now=now) == 3

    events = {e.order_id: e.data for e in OrderEvent.objects.filter(event_type=512)}
    assert events == {
        cart.pk: {
            "cutoff": cutoff,
            "released": [
                [split.pk, "expected", 2],
                [split.pk, "on_hand", 3],
                [whole.pk, "expected", 1],
            ],
        },
        other.pk: {"cutoff": cutoff, "released": [[alone.pk, "expected", 2]]},
    }
    assert Inventory.objects.get(sku=sku).allocated == 0
    expected.refresh_from_db()
    assert expected.promised_quantity == 0


def test_a_sweep_batch_that_fails_leaves_every_line_untouched(csr, tor, sku, monkeypatch):
    stock(sku, tor, 20)
    lines = [
        OrderLineFactory(order=OrderFactory(created_by=csr), sku=sku, quantity=2) for _ in range(3)
    ]
    for line in lines:
        allocation.allocate_line(line=line)
    LineAllocation.objects.update(allocated_at=timezone.now() - timedelta(days=1))

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    from fulfillment.inventory import sweep as inventory_sweep

    # the last step: allocations deleted, lines marked and events written by then
    monkeypatch.setattr(inventory_sweep, "_give_back_postgres", killed)
    monkeypatch.setattr(inventory_sweep, "_give_back_orm", killed)
    with pytest.raises(RuntimeError):
        sweep.sweep_stale_allocations()
    monkeypatch.undo()
    assert LineAllocation.objects.count() == 3
    assert set(OrderLine.objects.values_list("inventory_status", flat=True)) == {"allocated"}
    assert Inventory.objects.get(sku=sku).allocated == 6
    assert not OrderEvent.objects.filter(event_type=512).exists()
    assert sweep.sweep_stale_allocations() == 3  # swept whole by the next run
    assert Inventory.objects.get(sku=sku).allocated == 0


def test_sweep_command(csr, tor, sku):
    from io import StringIO

    from django.core.management import call_command

    stock(sku, tor, 5)
    line = OrderLineFactory(order=OrderFactory(created_by=csr), sku=sku, quantity=2)
    allocation.allocate_line(line=line)
    LineAllocation.objects.update(allocated_at=timezone.now() - timedelta(days=1))
    out = StringIO()
    call_command("sweep_stale_allocations", stdout=out)
    assert "Released 1 lines" in out.getvalue()
    assert Inventory.objects.get(sku=sku).allocated == 0


def test_stock_released_by_a_cart_goes_to_a_waiting_backorder(
    csr, tor, sku, django_capture_on_commit_callbacks
):
    stock(sku, tor, 2)
    cart = OrderFactory(created_by=csr)
    holder = OrderLineFactory(order=cart, sku=sku, quantity=2)
    allocation.allocate_line(line=holder)
    waiting_order = OrderFactory(created_by=csr, status="backordered")
    waiting = OrderLineFactory(order=waiting_order, sku=sku, quantity=2)
    allocation.allocate_line(line=waiting)
    waiting.refresh_from_db()
    assert waiting.inventory_status == "backordered"
    with django_capture_on_commit_callbacks(execute=True):
        allocation.deallocate_line(line=holder, actor=csr)
    waiting.refresh_from_db()
    assert waiting.inventory_status == "allocated"
    assert Order.objects.get(pk=waiting_order.pk).status == "authorized"

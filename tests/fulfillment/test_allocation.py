"""Allocation, backorder and deallocation paths."""

import pytest
from django.utils import timezone

from fulfillment.inventory import selectors
from fulfillment.models import AllocationKind, Inventory, LineAllocation, ShippingArrangement
from orders import allocation
from orders.allocation import destination
from orders.models import OrderEvent
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import ArrangementFactory, expect, stock
from tests.orders.factories import OrderAddressFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def held(line):
    return sorted(
        (a.kind, a.center.code if a.center else None, a.quantity)
        for a in LineAllocation.objects.filter(line=line).select_related("center")
    )


def test_allocates_from_first_center_by_precedence(cart, tor, van, sku):
    stock(sku, tor, 5)
    stock(sku, van, 5)
    line = OrderLineFactory(order=cart, sku=sku, quantity=3)
    result = allocation.allocate_line(line=line)
    assert result.status == "allocated" and result.centers == ["TOR"]
    assert held(line) == [("on_hand", "TOR", 3)]
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 3
    line.refresh_from_db()
    assert line.inventory_status == "allocated"
    assert OrderEvent.objects.filter(order=cart, event_type=510).count() == 1


def test_splits_across_centers_then_expected_then_undated(cart, tor, van, sku):
    stock(sku, tor, 2)
    stock(sku, van, 1)
    exp = expect(sku, van, 3, days=5)
    line = OrderLineFactory(order=cart, sku=sku, quantity=8)
    result = allocation.allocate_line(line=line)
    assert held(line) == [
        ("backorder", None, 2),
        ("expected", "VAN", 3),
        ("on_hand", "TOR", 2),
        ("on_hand", "VAN", 1),
    ]
    assert result.status == "backordered"
    assert result.expected_date == exp.expected_date
    exp.refresh_from_db()
    assert exp.promised_quantity == 3
    assert "3 allocated from TOR, VAN" in result.message


def test_quantity_change_reallocates_without_leaking(cart, tor, sku):
    stock(sku, tor, 5)
    line = OrderLineFactory(order=cart, sku=sku, quantity=4)
    allocation.allocate_line(line=line)
    line.quantity = 2
    line.save()
    allocation.allocate_line(line=line)
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 2
    assert held(line) == [("on_hand", "TOR", 2)]


def test_deallocate_returns_stock_and_promises(cart, tor, sku):
    stock(sku, tor, 1)
    exp = expect(sku, tor, 5)
    line = OrderLineFactory(order=cart, sku=sku, quantity=3)
    allocation.allocate_line(line=line)
    allocation.deallocate_line(line=line)
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 0
    exp.refresh_from_db()
    assert exp.promised_quantity == 0
    assert line.inventory_status == "unallocated"
    assert not LineAllocation.objects.filter(line=line).exists()


def test_deleting_a_line_gives_stock_back(cart, tor, sku):
    stock(sku, tor, 3)
    line = OrderLineFactory(order=cart, sku=sku, quantity=3)
    allocation.allocate_line(line=line)
    allocation.delete_lines(line_ids=[line.pk])
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 0


def test_ship_to_decides_center_through_arrangements(cart, tor, van, ground, sku):
    ArrangementFactory(center=tor, shipping_method=ground, country="CA", region="ON")
    ArrangementFactory(center=van, shipping_method=ground, country="CA", region="BC")
    stock(sku, tor, 5)
    stock(sku, van, 5)
    bc = OrderAddressFactory(
        order=cart, city="Victoria", region="BC", postal_code="V8W 1A1", shipping_method=ground
    )
    line = OrderLineFactory(order=cart, sku=sku, quantity=2, ship_to=bc)
    allocation.allocate_line(line=line)
    assert held(line) == [("on_hand", "VAN", 2)]
    # ship-to moves to Ontario: the line is now invalidly allocated and moves to TOR
    on = OrderAddressFactory(order=cart, region="ON", shipping_method=ground)
    line.ship_to = on
    line.save()
    assert [x.pk for x in allocation.invalidly_allocated_lines(order=cart)] == [line.pk]
    allocation.reallocate_invalid_lines(order=cart)
    assert held(line) == [("on_hand", "TOR", 2)]
    assert Inventory.objects.get(sku=sku, center=van).allocated == 0


def test_postal_prefix_and_precedence(tor, van, ground, sku, cart):
    ArrangementFactory(center=tor, shipping_method=ground, country="CA", precedence=50)
    ArrangementFactory(
        center=van, shipping_method=ground, country="CA", postal_prefix="V", precedence=50
    )
    bc = OrderAddressFactory(order=cart, region="BC", postal_code="v6b 1a1", shipping_method=ground)
    assert [c.code for c in selectors.eligible_centers(ship_to=destination(bc))] == ["VAN", "TOR"]
    on = OrderAddressFactory(order=cart, region="ON", postal_code="M5H 1A1", shipping_method=ground)
    assert [c.code for c in selectors.eligible_centers(ship_to=destination(on))] == ["TOR"]
    assert [c.code for c in selectors.eligible_centers(ship_to=None)] == ["TOR", "VAN"]


def test_a_changed_arrangement_or_center_routes_the_next_allocation_at_once(
    cart, tor, van, ground, django_assert_num_queries
):
    """Each process keeps the arrangements it read; a saved or deleted one is read afresh."""
    ArrangementFactory(center=tor, shipping_method=ground, country="CA", precedence=10)
    west = ArrangementFactory(center=van, shipping_method=ground, country="CA", precedence=50)
    bc = destination(
        OrderAddressFactory(order=cart, region="BC", postal_code="V6B 1A1", shipping_method=ground)
    )
    assert [c.code for c in selectors.eligible_centers(ship_to=bc)] == ["TOR", "VAN"]
    with django_assert_num_queries(0):  # read once
        assert [c.code for c in selectors.eligible_centers(ship_to=bc)] == ["TOR", "VAN"]

    west.precedence = 5
    west.save()
    assert [c.code for c in selectors.eligible_centers(ship_to=bc)] == ["VAN", "TOR"]
    van.is_active = False
    van.save()
    assert [c.code for c in selectors.eligible_centers(ship_to=bc)] == ["TOR"]
    ShippingArrangement.objects.filter(center=tor).get().delete()
    assert selectors.eligible_centers(ship_to=bc) == []


def test_no_center_ships_there_leaves_line_unallocated(cart, tor, ground, sku):
    ArrangementFactory(center=tor, shipping_method=ground, country="CA")
    us = OrderAddressFactory(
        order=cart, country="US", region="NY", postal_code="10001", shipping_method=ground
    )
    stock(sku, tor, 5)
    line = OrderLineFactory(order=cart, sku=sku, quantity=1, ship_to=us)
    result = allocation.allocate_line(line=line)
    assert result.status == "unallocated"
    assert "No fulfillment center ships Ground" in result.message
    assert Inventory.objects.get(sku=sku, center=tor).allocated == 0


def test_shipped_line_cannot_be_reallocated(cart, tor, sku):
    from core.errors import InvalidTransition

    stock(sku, tor, 5)
    line = OrderLineFactory(order=cart, sku=sku, quantity=1, inventory_status="shipped")
    with pytest.raises(InvalidTransition):
        allocation.allocate_line(line=line)


def test_allocate_order_constant_queries(cart, tor, van, django_assert_max_num_queries):
    skus = SKUFactory.create_batch(30)
    for i, s in enumerate(skus):
        stock(s, tor, i % 3)
        stock(s, van, 2)
        if i % 5 == 0:
            expect(s, tor, 4)
    for s in skus:
        OrderLineFactory(order=cart, sku=s, quantity=3)
    with django_assert_max_num_queries(12):
        results = allocation.allocate_order(order=cart)
    assert len(results) == 30
    kinds = LineAllocation.objects.filter(line__order=cart).values_list("kind", flat=True)
    assert set(kinds) == {AllocationKind.ON_HAND, AllocationKind.EXPECTED, AllocationKind.BACKORDER}
    # again: re-allocation releases and takes the same, no leak
    with django_assert_max_num_queries(14):
        allocation.allocate_order(order=cart)
    total = sum(Inventory.objects.values_list("allocated", flat=True))
    assert total == sum(
        LineAllocation.objects.filter(kind="on_hand").values_list("quantity", flat=True)
    )


def test_availability_selector(tor, van, sku, django_assert_num_queries):
    other = SKUFactory()
    stock(sku, tor, 0)
    stock(sku, van, 4)
    e = expect(sku, tor, 6, days=3)
    expect(sku, tor, 2, days=9)
    with django_assert_num_queries(3):
        result = selectors.availability(sku_ids=[sku.pk, other.pk])
    a = result[sku.pk]
    assert (a.available_now, a.center_code, a.expected_quantity, a.expected_date) == (
        4,
        "VAN",
        8,
        e.expected_date,
    )
    assert result[other.pk].status == "backordered"
    assert "4 available now in VAN" in a.describe(6)


def test_kit_allocates_its_components_and_service_needs_no_stock(cart, tor):
    from tests.catalog.factories import KitComponentFactory

    kit = SKUFactory(kind="kit")
    pen, case = SKUFactory(), SKUFactory()
    KitComponentFactory(kit=kit, component=pen, quantity=2)
    KitComponentFactory(kit=kit, component=case, quantity=1)
    stock(pen, tor, 5)
    stock(case, tor, 1)
    line = OrderLineFactory(order=cart, sku=kit, quantity=2)
    result = allocation.allocate_line(line=line)
    # 4 pens are there, but only one case: one whole kit now, one waiting
    assert (result.status, result.on_hand, result.backorder) == ("backordered", 1, 1)
    assert Inventory.objects.get(sku=pen).allocated == 4
    assert Inventory.objects.get(sku=case).allocated == 1
    assert held(line) == [("backorder", None, 1), ("on_hand", "TOR", 1), ("on_hand", "TOR", 4)]
    allocation.deallocate_line(line=line)
    assert set(Inventory.objects.values_list("allocated", flat=True)) == {0}

    wrap = SKUFactory(kind="service", service_type="gift_wrap")
    line = OrderLineFactory(order=cart, sku=wrap, quantity=1)
    assert allocation.allocate_line(line=line).status == "allocated"
    assert held(line) == []


def test_fully_allocated_kits_and_services_are_valid(cart, tor):
    from tests.catalog.factories import KitComponentFactory

    kit, pen = SKUFactory(kind="kit"), SKUFactory()
    KitComponentFactory(kit=kit, component=pen, quantity=3)
    stock(pen, tor, 10)
    wrap = SKUFactory(kind="service", service_type="gift_wrap")
    OrderLineFactory(order=cart, sku=kit, quantity=2)
    OrderLineFactory(order=cart, sku=wrap, quantity=1)
    assert len(allocation.invalidly_allocated_lines(order=cart)) == 2
    allocation.allocate_order(order=cart)
    assert allocation.invalidly_allocated_lines(order=cart) == []
    assert Inventory.objects.get(sku=pen).allocated == 6


def test_what_lines_hold_and_may_take_is_read_alike_in_one_statement_and_through_the_orm(
    cart, tor, van, sku, monkeypatch
):
    """PostgreSQL reads what lines hold and locks the stock they may take in one statement;
    other databases through the ORM. Both find the same rows, with the fields allocation uses."""
    from fulfillment.inventory import locks

    other = SKUFactory()
    stock(sku, tor, 2)
    stock(other, van, 4)  # held by the line once, in a center the question leaves out
    expect(sku, van, 3, days=5)
    received = expect(sku, tor, 2)
    received.received_quantity = 2
    received.save()
    line = OrderLineFactory(order=cart, sku=sku, quantity=6)
    allocation.allocate_line(line=line)
    LineAllocation.objects.create(
        line=line,
        kind=AllocationKind.ON_HAND,
        sku=other,
        quantity=1,
        center=van,
        inventory=Inventory.objects.get(sku=other),
        allocated_at=timezone.now(),
    )

    def read():
        found = locks.lock_stock_of_lines([line.pk], [sku.pk], [tor.pk, van.pk])
        return (
            sorted(found.held),
            {
                pk: (r.sku_id, r.center_id, r.on_hand, r.allocated)
                for pk, r in found.inventory.items()
            },
            {
                pk: (
                    r.sku_id,
                    r.center_id,
                    r.quantity,
                    r.received_quantity,
                    r.promised_quantity,
                    r.expected_date,
                )
                for pk, r in found.expected.items()
            },
        )

    vendor_read = read()
    monkeypatch.setattr(locks.connection, "vendor", "sqlite")  # the ORM's read
    assert read() == vendor_read
    held_rows, inventory, expected = vendor_read
    assert sorted((h.kind, h.quantity) for h in held_rows) == [
        ("backorder", 1),
        ("expected", 3),
        ("on_hand", 1),
        ("on_hand", 2),
    ]
    assert set(inventory.values()) == {
        (other.pk, van.pk, 4, 0),  # held: read though its SKU was not asked for
        (sku.pk, tor.pk, 2, 2),
    }
    # the TOR row is fully received: nothing more to take from it, and the line holds none
    assert [row[:2] for row in expected.values()] == [(sku.pk, van.pk)]

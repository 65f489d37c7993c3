"""Adjusting, expecting and receiving stock; bad input is refused and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError, NotAllowed, NotFound
from fulfillment.inventory import stock as inventory_stock
from fulfillment.models import ExpectedInventory, Inventory, InventoryAdjustment
from orders import allocation
from tests.fulfillment.factories import VendorFactory, expect, stock
from tests.orders.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


def test_adjust_up_and_down_is_audited(operations, tor, sku):
    inventory_stock.adjust_inventory(
        actor=operations, sku=sku.code, center="tor", quantity=7, reason="found"
    )
    adj = inventory_stock.adjust_inventory(
        actor=operations, sku=sku, center=tor, quantity=-2, reason="damaged", note="forklift"
    )
    row = Inventory.objects.get(sku=sku, center=tor)
    assert row.on_hand == 5
    assert (adj.on_hand_before, adj.on_hand_after, adj.reason, adj.actor) == (
        7,
        5,
        "damaged",
        operations,
    )
    assert InventoryAdjustment.objects.filter(inventory=row).count() == 2


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"quantity": -4}, DomainError, "only 3"),
        ({"quantity": 0}, DomainError, "non-zero"),
        ({"quantity": 1, "reason": "whim"}, DomainError, "reason"),
        ({"quantity": 1, "sku": "NOPE"}, NotFound, "no SKU NOPE"),
        ({"quantity": 1, "center": "XXX"}, NotFound, "no fulfillment center XXX"),
    ],
)
def test_adjust_refusals_change_nothing(operations, tor, sku, kwargs, error, text):
    stock(sku, tor, 3)
    args = {"actor": operations, "sku": sku.code, "center": "TOR", "reason": "lost", **kwargs}
    with pytest.raises(error, match=text):
        inventory_stock.adjust_inventory(**args)
    assert Inventory.objects.get(sku=sku, center=tor).on_hand == 3
    assert not InventoryAdjustment.objects.exists()


def test_adjust_below_allocated_refused(operations, cart, tor, sku):
    stock(sku, tor, 5)
    allocation.allocate_line(line=OrderLineFactory(order=cart, sku=sku, quantity=4))
    with pytest.raises(DomainError, match=r"4 of .* are allocated"):
        inventory_stock.adjust_inventory(
            actor=operations, sku=sku, center=tor, quantity=-2, reason="lost"
        )
    assert Inventory.objects.get(sku=sku, center=tor).on_hand == 5


def test_csr_cannot_adjust(csr, tor, sku):
    with pytest.raises(NotAllowed):
        inventory_stock.adjust_inventory(actor=csr, sku=sku, center=tor, quantity=1, reason="found")


def test_expected_then_receive(operations, store_admin, tor, sku):
    vendor = VendorFactory(code="ACME")
    exp = inventory_stock.create_expected_inventory(
        actor=store_admin,
        vendor="ACME",
        sku=sku.code,
        center="TOR",
        quantity=10,
        expected_date=timezone.localdate() + timedelta(days=3),
        reference="PO-1",
    )
    assert exp.vendor == vendor
    inventory_stock.receive_expected(actor=operations, expected=exp, quantity=4)
    inventory_stock.receive_expected(actor=operations, expected=exp.pk, quantity=6)
    exp.refresh_from_db()
    assert exp.received_quantity == 10
    assert Inventory.objects.get(sku=sku, center=tor).on_hand == 10
    assert InventoryAdjustment.objects.filter(reason="received").count() == 2


@pytest.mark.parametrize("quantity, text", [(11, "Only 10"), (-1, "positive"), (0, "positive")])
def test_receive_refusals(operations, tor, sku, quantity, text):
    exp = expect(sku, tor, 10)
    with pytest.raises(DomainError, match=text):
        inventory_stock.receive_expected(actor=operations, expected=exp, quantity=quantity)
    exp.refresh_from_db()
    assert exp.received_quantity == 0
    assert not Inventory.objects.filter(sku=sku, on_hand__gt=0).exists()


def test_expected_refusals(operations, tor, sku):
    VendorFactory(code="ACME")
    when = timezone.localdate()
    for kwargs, text in [
        ({"quantity": -3}, "positive"),
        ({"vendor": "NOBODY"}, "no vendor"),
        ({"sku": "NOPE"}, "no SKU"),
    ]:
        args = {
            "actor": operations,
            "vendor": "ACME",
            "sku": sku,
            "center": tor,
            "quantity": 5,
            "expected_date": when,
            **kwargs,
        }
        with pytest.raises(DomainError, match=text):
            inventory_stock.create_expected_inventory(**args)
    assert not ExpectedInventory.objects.exists()

"""Centers, inventory by center, vendors and expected inventory round-trip as CSV; stock
changes by import go through the inventory service (audited adjustments)."""

import pytest
import tablib

from fulfillment.models import (
    ExpectedInventory,
    FulfillmentCenter,
    Inventory,
    InventoryAdjustment,
    Vendor,
)
from fulfillment.resources import (
    ExpectedInventoryResource,
    FulfillmentCenterResource,
    InventoryResource,
    VendorResource,
)
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import CenterFactory, VendorFactory, expect, stock
from tests.round_trip import assert_round_trip

pytestmark = pytest.mark.django_db

RESOURCES = [
    FulfillmentCenterResource,
    VendorResource,
    InventoryResource,
    ExpectedInventoryResource,
]
MODELS = [FulfillmentCenter, Vendor, Inventory, InventoryAdjustment, ExpectedInventory]


def test_fulfillment_files_round_trip(store_admin):
    tor, van = CenterFactory(code="TOR"), CenterFactory(code="VAN", city="Vancouver")
    sku = SKUFactory(code="BND-1")
    stock(sku, tor, 12)
    stock(sku, van, 3)
    VendorFactory(code="ACME", name="Acme supplies", email="orders@acme.example")
    row = expect(sku, tor, 40)
    row.vendor = Vendor.objects.get(code="ACME")
    row.reference = "PO-77"
    row.save()

    files = assert_round_trip(RESOURCES, MODELS, user=store_admin)
    assert "BND-1,TOR,12,0" in files["InventoryResource"]
    assert "ACME,BND-1,TOR,PO-77" in files["ExpectedInventoryResource"]
    adjustments = InventoryAdjustment.objects.filter(actor=store_admin)
    assert sorted(a.quantity for a in adjustments) == [3, 12]


def test_an_inventory_count_adjusts_by_the_difference_and_refuses_going_below_allocated(
    store_admin,
):
    tor = CenterFactory(code="TOR")
    sku = SKUFactory(code="BND-1")
    row = stock(sku, tor, 10)
    Inventory.objects.filter(pk=row.pk).update(allocated=4)

    data = tablib.Dataset(headers=["sku", "center", "on_hand"])
    data.append(["BND-1", "TOR", "7"])
    result = InventoryResource().import_data(data, dry_run=False, user=store_admin)
    assert not result.has_errors() and not result.has_validation_errors()
    adjustment = InventoryAdjustment.objects.get()
    assert (adjustment.quantity, adjustment.reason, adjustment.actor) == (
        -3,
        "cycle_count",
        store_admin,
    )

    data = tablib.Dataset(headers=["sku", "center", "on_hand"])
    data.append(["BND-1", "TOR", "2"])
    result = InventoryResource().import_data(data, dry_run=False, user=store_admin)
    assert result.invalid_rows and result.invalid_rows[0].number == 1
    assert Inventory.objects.get().on_hand == 7


def test_a_recorded_expected_quantity_cannot_change_by_import(store_admin):
    row = expect(SKUFactory(code="BND-1"), CenterFactory(code="TOR"), 40)
    exported = ExpectedInventoryResource().export()
    exported[0] = [*exported[0][:5], 50, exported[0][6]]
    result = ExpectedInventoryResource().import_data(exported, dry_run=False, user=store_admin)
    assert "Already recorded with 40" in str(result.invalid_rows[0].error_dict)
    row.refresh_from_db()
    assert row.quantity == 40

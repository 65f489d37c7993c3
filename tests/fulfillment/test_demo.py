import pytest

from fulfillment import demo
from fulfillment.inventory.selectors import eligible_centers
from fulfillment.models import ExpectedInventory, Inventory, ShippingArrangement
from orders.allocation import destination
from orders.models import OrderAddress
from pricing.models import ShippingMethod
from tests.catalog.factories import SKUFactory

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_routes_west_to_vancouver():
    SKUFactory.create_batch(30)
    demo.load(lambda _msg: None)
    counts = (
        Inventory.objects.count(),
        ExpectedInventory.objects.count(),
        ShippingArrangement.objects.count(),
    )
    demo.load(lambda _msg: None)
    assert counts == (
        Inventory.objects.count(),
        ExpectedInventory.objects.count(),
        ShippingArrangement.objects.count(),
    )
    assert counts[0] == 60 and counts[1] > 0
    ground = ShippingMethod.objects.get(code="ground")
    bc = OrderAddress(country="CA", region="BC", postal_code="V8W 1A1", shipping_method=ground)
    on = OrderAddress(country="CA", region="ON", postal_code="M5H 1A1", shipping_method=ground)
    assert [c.code for c in eligible_centers(ship_to=destination(bc))] == ["VAN", "TOR"]
    assert [c.code for c in eligible_centers(ship_to=destination(on))] == ["TOR", "VAN"]


def test_demo_releases_orders_and_ships_one_through_the_services(
    django_capture_on_commit_callbacks,
):
    from importlib import import_module

    from core.models import JobRun
    from fulfillment.models import Release, Shipment
    from orders.models import Order

    messages = []
    with django_capture_on_commit_callbacks(execute=True):
        for app in ("core", "customers", "catalog", "pricing", "fulfillment"):
            import_module(f"{app}.demo").load(messages.append)
    placed = Order.objects.filter(customer__logon_id__in=["ava.chen", "pat.buyer"])
    assert sorted(placed.values_list("status", flat=True)) == ["released", "released", "shipped"]
    assert Release.objects.filter(order__in=placed).count() >= 3  # on the pick list
    shipment = Shipment.objects.get()
    assert shipment.tracking_number == "DEMO1234567890"
    assert shipment.release.order.status == "shipped"
    assert JobRun.objects.get(job="release_orders").counts["orders"] == 3
    counts = (Order.objects.count(), Release.objects.count(), Shipment.objects.count())
    demo.load(messages.append)  # a second run places, releases and ships nothing again
    assert counts == (Order.objects.count(), Release.objects.count(), Shipment.objects.count())
    assert "  kept the released demo orders" in messages

import pytest

from fulfillment import demo
from fulfillment.models import ExpectedInventory, Inventory, ShippingArrangement
from fulfillment.selectors import eligible_centers
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
    assert [c.code for c in eligible_centers(ship_to=bc)] == ["VAN", "TOR"]
    assert [c.code for c in eligible_centers(ship_to=on)] == ["TOR", "VAN"]

import pytest

from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import CenterFactory, ShippingMethodFactory
from tests.orders.factories import OrderFactory


@pytest.fixture
def tor(db):
    return CenterFactory(code="TOR", name="Toronto", precedence=1)


@pytest.fixture
def van(db):
    return CenterFactory(code="VAN", name="Vancouver", city="Vancouver", region="BC", precedence=2)


@pytest.fixture
def ground(db):
    return ShippingMethodFactory(code="ground", name="Ground")


@pytest.fixture
def sku(db):
    return SKUFactory()


@pytest.fixture
def cart(db, csr):
    return OrderFactory(created_by=csr)


@pytest.fixture
def express_method(db):
    return ShippingMethodFactory(code="express", name="Express")

"""Shared set-up for the orders tests: a buyable SKU, shipping methods, a ready cart."""

import pytest

from orders import services


@pytest.fixture
def ground(db):
    from pricing.models import ShippingMethod

    return ShippingMethod.objects.get_or_create(
        code="ground", defaults={"name": "Ground", "carrier": "Canada Post"}
    )[0]


@pytest.fixture
def express(db):
    from pricing.models import ShippingMethod

    return ShippingMethod.objects.get_or_create(
        code="express", defaults={"name": "Express", "carrier": "Purolator"}
    )[0]


@pytest.fixture
def sku(db):
    from tests.catalog.factories import SKUFactory

    return SKUFactory(code="NB-BLK-A5", name="Notebook, black, A5")


@pytest.fixture
def sku2(db):
    from tests.catalog.factories import SKUFactory

    return SKUFactory(code="PEN-GEL-B", name="Gel pen, blue")


ADDRESS = {
    "first_name": "Gail",
    "last_name": "Guest",
    "line1": "100 King St W",
    "city": "Toronto",
    "region": "ON",
    "postal_code": "M5H 1A1",
    "country": "CA",
}
ADDRESS2 = {**ADDRESS, "line1": "9 Rideau St", "city": "Ottawa", "postal_code": "K1N 5W8"}


@pytest.fixture
def customer(db):
    from customers.models import Address, Customer

    customer = Customer.objects.create(
        logon_id="jane.roe",
        first_name="Jane",
        last_name="Roe",
        email="jane@example.com",
        phone="+15550102233",
    )
    Address.objects.create(
        customer=customer,
        nickname="Home",
        is_default_billing=True,
        is_default_shipping=True,
        **ADDRESS,
    )
    return customer


@pytest.fixture
def guest_cart(csr):
    return services.cart_create(
        actor=csr,
        guest={"first_name": "Gail", "last_name": "Guest", "email": "gail@example.com"},
    )


def make_ready(cart, actor, sku, card="4242424242424242", qty=2):
    """A guest cart with one line, a ship-to, a method, billing and a card."""
    services.ship_to_add(actor=actor, order=cart, address=ADDRESS)
    services.line_add(actor=actor, order=cart, sku_code=sku.code, quantity=qty)
    services.billing_address_set(actor=actor, order=cart, address=ADDRESS)
    services.payment_set_card(
        actor=actor, order=cart, card_number=card, exp_month=12, exp_year=2035, cvv="123"
    )
    cart.refresh_from_db()
    return cart


@pytest.fixture
def ready_cart(guest_cart, csr, sku, ground):
    return make_ready(guest_cart, csr, sku)


@pytest.fixture
def center(db, ground, sku):
    """The Toronto center shipping by ground, with 100 of `sku`, priced 10.00 (modules with
    other stock or prices define their own)."""
    from decimal import Decimal

    from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("10.00"))
    tor = CenterFactory(code="TOR")
    ArrangementFactory(center=tor, shipping_method=ground, precedence=1)
    stock(sku, tor, 100)
    return tor

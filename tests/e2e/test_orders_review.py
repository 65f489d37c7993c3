"""The review page shows every discount on a laptop screen, so the lines add up to the total."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from orders import services
from orders.models import Order
from tests.e2e.conftest import log_in, screenshot
from tests.orders.conftest import ADDRESS, make_ready


@pytest.fixture
def cart_with_five_discounts(transactional_db):
    from catalog.models import SKU
    from pricing.loader import bump_rules_version
    from tests.pricing.factories import PromotionFactory

    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    csr = get_user_model().objects.get(username="csr")
    codes = ["NB-BLK-A5", "PEN-GEL-B", "BND-BLK-1", "CASE-A5", "HL-YEL"]
    skus = [SKU.objects.filter(code=c).first() for c in codes]
    skus = [s for s in skus if s is not None]
    for n, sku in enumerate(skus, start=1):
        PromotionFactory(
            name=f"Desk test {n}: {sku.code}",
            reward="product_percent",
            percent=Decimal(n),
            skus=[sku],
            priority=1,
        )
    bump_rules_version()
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Rae", "last_name": "View", "email": "rae@example.com"}
    )
    services.ship_to_add(actor=csr, order=cart, address=ADDRESS)
    for sku in skus:
        services.line_add(actor=csr, order=cart, sku_code=sku.code, quantity=3)
    make_ready(cart, csr, skus[0], qty=1)
    cart = Order.objects.get(pk=cart.pk)
    applied = cart.pricing_detail["explanation"]["applied"]
    assert len(applied) >= 5, [a["name"] for a in applied]
    return cart


def test_every_discount_is_on_screen_at_1366_by_900(page, cart_with_five_discounts):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart_with_five_discounts.pk}/review/")
    discounts = page.locator(".review-side .why-list li")
    count = len(cart_with_five_discounts.pricing_detail["explanation"]["applied"])
    expect(discounts).to_have_count(count)
    for n in range(count):
        expect(discounts.nth(n)).to_be_in_viewport()
    screenshot(page, "orders-17-review-five-discounts")

"""A promotion code the caller quotes: applied, or refused with the reason in the message."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from orders import services
from tests.e2e.conftest import expect_panel_closed, log_in, screenshot


@pytest.fixture
def cart(transactional_db):
    from pricing.loader import bump_rules_version
    from pricing.models import PromotionCounter
    from tests.pricing.factories import PromotionFactory

    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    used_up = PromotionFactory(
        name="Last week's flyer",
        code="FLYER5",
        code_required=True,
        percent=Decimal("5"),
        limit_overall=100,
    )
    PromotionCounter.objects.create(promotion=used_up, used=100)
    bump_rules_version()
    csr = get_user_model().objects.get(username="csr")
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Cody", "last_name": "Coder", "email": "c@example.com"}
    )
    services.line_add(actor=csr, order=cart, sku_code="NB-BLK-A5", quantity=2)
    return cart


def enter_code(page, code):
    page.locator("#item").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("p")
    expect(page.locator("#f-code")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect_panel_closed(page)


def test_a_used_up_code_says_why_and_a_good_one_applies(page, cart):
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/")
    enter_code(page, "flyer5")
    message = page.locator(".cart-msg")
    expect(message).to_contain_text("All its uses are taken")
    expect(message).not_to_contain_text("Code applied")
    screenshot(page, "orders-19-code-refused")
    enter_code(page, "SPRING15")
    expect(message).to_contain_text("applied")
    expect(page.locator(".promos .why-list").first).to_contain_text("Spring")

"""Items added one after another: each add answers with only what changed (the new line, the
totals), and the screen ends up exactly as a fresh load of the order draws it."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from orders import services
from tests.e2e.conftest import log_in, screenshot
from tests.orders.conftest import ADDRESS

ROWS = "table.lines tbody tr[id^=line-]"


@pytest.fixture
def cart(transactional_db):
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    csr = get_user_model().objects.get(username="csr")
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Ada", "last_name": "Adder", "email": "a@example.com"}
    )
    services.ship_to_add(actor=csr, order=cart, address=ADDRESS, shipping_method_code="ground")
    services.line_add(actor=csr, order=cart, sku_code="NB-BLK-A5")
    return cart


def add_item(page, sku, qty):
    page.locator("#item").focus()
    page.keyboard.type(sku)
    page.keyboard.press("Tab")
    page.keyboard.type(str(qty))
    rows = page.locator(ROWS).count()
    page.keyboard.press("Enter")
    expect(page.locator(ROWS)).not_to_have_count(rows)  # one more, or a gift with it
    expect(page.locator("#item")).to_be_focused()


def screen_text(page) -> list[str]:
    rows = page.locator(f"{ROWS}, .totals tr, .promos li").all_inner_texts()
    quantities = page.locator(f"{ROWS} input.qty-in").evaluate_all("els => els.map(e => e.value)")
    return [re.sub(r"\s+", " ", row) for row in rows] + quantities


def test_items_added_one_by_one_show_as_a_fresh_load_would(page, cart):
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/")
    add_item(page, "PEN-GEL-B", 3)
    add_item(page, "SN-YEL-76X76", 2)
    page.locator(f"{ROWS} input.qty-in").first.fill("4")
    page.locator(f"{ROWS} input.qty-in").first.press("Tab")
    expect(page.locator(f"{ROWS}").first).to_contain_text("122.04")  # 4 × 30.51
    expect(page.locator("#cart-msg")).to_be_empty()
    screenshot(page, "orders-30-items-added")
    shown = screen_text(page)
    version = page.locator("#order-version").input_value()

    page.reload()

    assert screen_text(page) == shown
    assert page.locator("#order-version").input_value() == version

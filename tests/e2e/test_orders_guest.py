"""A guest order placed with the keyboard only, against the demo store."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order, OrderStatus
from tests.e2e.conftest import log_in, screenshot


@pytest.fixture
def demo_store(transactional_db):
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115


def type_and_tab(page, *values):
    for value in values:
        page.keyboard.type(value)
        page.keyboard.press("Tab")


def test_a_guest_order_with_the_keyboard_only(page, demo_store, mailoutbox):
    page.on("console", lambda msg: print("console:", msg.type, msg.text))
    page.on("pageerror", lambda err: print("pageerror:", err))
    log_in(page, "csr", settings.DEMO_PASSWORD)

    page.keyboard.press("g")
    expect(page.get_by_role("heading", name="Guest order")).to_be_visible()
    expect(page.get_by_label("First name")).to_be_focused()
    type_and_tab(page, "Gail", "Guest", "gail@example.com")
    screenshot(page, "orders-01-guest-start")
    page.keyboard.press("Enter")

    item = page.locator("#item")
    expect(item).to_be_focused()
    page.keyboard.type("noteb")
    expect(page.locator("#suggest li[data-sku]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    screenshot(page, "orders-02-suggestions")
    page.keyboard.press("Enter")
    expect(page.locator("#qty")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("table.lines tbody tr")).to_have_count(1)
    expect(item).to_be_focused()
    page.keyboard.type("PEN-GEL-B")
    page.keyboard.press("Enter")
    expect(page.locator("table.lines tbody tr")).to_have_count(2)
    expect(item).to_be_focused()
    screenshot(page, "orders-03-two-lines")

    # Ship-to: S opens the panel with focus in the first field; Enter saves it.
    page.keyboard.press("Escape")  # leave the item box so single-key shortcuts work
    page.keyboard.press("s")
    expect(page.get_by_role("heading", name="Ship-to and shipping method")).to_be_visible()
    type_and_tab(page, "Gail", "Guest", "100 King St W", "", "Toronto", "ON", "M5H 1A1")
    screenshot(page, "orders-04-ship-to-panel")
    page.keyboard.press("Enter")
    expect(page.locator("#panel")).to_be_hidden()
    expect(page.locator(".shiprow select[name=ship_to]")).to_contain_text("Toronto")

    # Billing and payment: same as ship-to is preselected, focus is on the card number.
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    expect(page.get_by_role("heading", name="Billing and payment")).to_be_visible()
    expect(page.locator("#f-card_number")).to_be_focused()
    type_and_tab(page, "4242424242424242", "12", "2031")
    page.keyboard.type("123")
    screenshot(page, "orders-05-payment-panel")
    page.keyboard.press("Enter")
    expect(page.locator("#panel")).to_be_hidden()
    screenshot(page, "orders-06-cart-ready")

    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.get_by_role("heading", name=re.compile("Review order summary"))).to_be_visible()
    screenshot(page, "orders-07-review")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name=re.compile(r"Order NW-\d{6} placed"))).to_be_visible()
    screenshot(page, "orders-08-placed")

    order = Order.objects.get(guest_email="gail@example.com")
    assert order.status == OrderStatus.AUTHORIZED and order.lines.count() >= 2
    assert any(order.number in m.subject for m in mailoutbox)

"""Two screens seen as their users see them: the placed page of a business account's order over
its credit limit, and a supervisor finding auction events on the audit screen."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from customers.models import Customer
from orders import services
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts
from tests.orders.conftest import ADDRESS


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_an_order_over_the_accounts_credit_limit_is_placed_on_hold_and_says_why(page, demo):
    csr = get_user_model().objects.get(username="csr")
    buyer = Customer.objects.get(logon_id="pat.buyer")  # Maple Leaf: a 500.00 credit limit
    cart = services.cart_create(actor=csr, customer=buyer)
    services.ship_to_add(actor=csr, order=cart, address=ADDRESS, shipping_method_code="ground")
    services.line_add(actor=csr, order=cart, sku_code="NB-BLK-A5", quantity=6)
    services.billing_address_set(actor=csr, order=cart, address=ADDRESS)
    services.payment_set_card(
        actor=csr,
        order=cart,
        card_number="4242424242424242",
        exp_month=12,
        exp_year=2035,
        cvv="123",
    )
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/review/")
    wait_for_scripts(page)

    page.keyboard.press("Control+Enter")

    expect(page.get_by_role("heading", name=re.compile(r"Order NW-\d{6} placed"))).to_be_visible()
    held = page.locator(".msg-warning", has_text="On hold (credit limit")
    expect(held).to_contain_text("over the credit limit 500.00")
    screenshot(page, "orders-40-placed-on-credit-hold")


def test_a_supervisor_finds_auction_events_on_the_audit_screen(page, demo):
    log_in(page, "supervisor", settings.DEMO_PASSWORD)
    page.goto("/audit/")

    page.locator("select[name=object_type]").select_option(label="Auction")
    page.get_by_role("button", name=re.compile("^Show")).click()

    page.wait_for_url(re.compile(r"object_type=auction"))
    rows = page.locator("main table tbody tr")
    expect(rows.filter(has_text="Bid placed").first).to_be_visible()
    apps = rows.locator("td:nth-child(2)").all_inner_texts()
    assert apps and set(apps) == {"auctions"}
    expect(rows.first.get_by_role("link").first).to_have_attribute(
        "href", re.compile(r"/auctions/")
    )
    screenshot(page, "audit-10-auction-events")

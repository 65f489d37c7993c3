"""A customer's store credit (from a return) pays part of a new order in Bill & pay; the card
pays the rest. Against the demo store."""

import re
from decimal import Decimal

from django.conf import settings
from playwright.sync_api import expect

from customers import credit
from orders.models import Order, OrderPayment
from tests.e2e.conftest import expect_panel_closed, log_in, screenshot, wait_for_scripts
from tests.e2e.test_orders_registered import add_item, demo_store, jane, shortcut  # noqa: F401


def test_store_credit_pays_part_of_a_new_order(page, jane):  # noqa: F811 (the fixture)
    credit.store_credit_add(
        actor=None, customer_id=jane.pk, amount="10.00", currency="CAD", reference="RMA0000042"
    )
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/new/customer/{jane.pk}/")
    expect(page.locator(".paybox")).to_contain_text("4242")
    add_item(page, "NB-BLK-A5", 3)

    shortcut(page, "b")
    expect(page.get_by_role("heading", name="Billing and payment")).to_be_visible()
    expect(page.locator("#store-credit-balance")).to_contain_text("Store credit balance: 10.00")
    page.locator("#f-store_credit").fill("10.00")
    screenshot(page, "returns-store-credit-panel")
    page.get_by_role("button", name=re.compile("Save billing and payment")).click()
    expect_panel_closed(page)
    expect(page.locator(".store-credit-paid")).to_have_text("10.00")

    shortcut(page, "r")
    expect(page.get_by_role("heading", name=re.compile("Review order summary"))).to_be_visible()
    expect(page.locator(".store-credit-paid")).to_have_text("10.00")
    wait_for_scripts(page)
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name=re.compile(r"Order NW-\d{6} placed"))).to_be_visible()

    order = Order.objects.get(customer=jane)
    payment = OrderPayment.objects.get(order=order, status="authorized")
    assert order.store_credit_amount == Decimal("10.00")
    assert payment.amount == order.total - Decimal("10.00")
    assert credit.store_credit_balance(jane.pk) == Decimal("0.00")

    # the customer page: the balance, its entries, and the returns (loaded from returns)
    page.goto(f"/customers/{jane.pk}/")
    expect(page.locator("#store-credit-balance")).to_contain_text("0.00")
    expect(page.locator(".cust-side")).to_contain_text("RMA0000042")
    expect(page.locator("#customer-returns")).to_contain_text("No returns.")
    screenshot(page, "returns-customer-page")

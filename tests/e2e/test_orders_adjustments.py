"""A CSR's adjustments on the order screen: each listed with its state, an over-limit one waits
for a supervisor and can be withdrawn, and the list follows a supervisor's decision."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from orders import services
from pricing.models import OrderAdjustment
from tests.e2e.conftest import expect_panel_closed, log_in, screenshot


@pytest.fixture
def cart(transactional_db):
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    csr = get_user_model().objects.get(username="csr")
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Ada", "last_name": "Adler", "email": "ada@example.com"}
    )
    services.line_add(actor=csr, order=cart, sku_code="NB-BLK-A5", quantity=20)
    return cart


def add_adjustment(page, kind, value):
    page.locator("#item").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.get_by_role("heading", name="CSR adjustment")).to_be_visible()
    page.locator("#panel select[name=kind]").select_option(kind)
    page.locator("#f-value").fill(value)
    page.locator("#panel select[name=reason_code]").select_option("appeasement")
    page.keyboard.press("Enter")
    expect_panel_closed(page)


def test_an_over_limit_adjustment_is_listed_as_waiting_and_can_be_withdrawn(page, cart):
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/")
    adjustments = page.get_by_role("list", name="CSR adjustments")

    add_adjustment(page, "order_percent", "20")  # over the CSR's 10 %
    expect(adjustments).to_contain_text("awaiting supervisor approval")
    expect(adjustments).to_contain_text("blocks submit until a supervisor approves it")
    screenshot(page, "orders-16-adjustment-pending")

    page.get_by_role("button", name=re.compile("Withdraw the adjustment")).press("Enter")
    expect(page.locator(".cart-msg")).to_contain_text("Adjustment taken off the order.")
    expect(adjustments).to_have_count(0)

    add_adjustment(page, "order_percent", "20")
    waiting = OrderAdjustment.objects.get(order_id=cart.pk, status="pending")
    supervisor = get_user_model().objects.get(username="supervisor")
    services.adjustment_approve(actor=supervisor, adjustment_id=waiting.pk)
    page.reload()
    expect(adjustments).to_contain_text("approved by supervisor")
    expect(adjustments).not_to_contain_text("blocks submit")
    expect(page.locator(".promos")).not_to_contain_text("awaits a supervisor")

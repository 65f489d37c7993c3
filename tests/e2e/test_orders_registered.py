"""A registered customer's order (two ship-tos, a code, an adjustment, a stored card), and a
declined card fixed with another card. Against the demo store."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order, OrderStatus
from tests.e2e.conftest import expect_panel_closed, log_in, screenshot, wait_for_scripts


@pytest.fixture
def demo_store(transactional_db):
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def jane(demo_store):
    from tests.customers.factories import AddressFactory, customer_ready_to_order

    customer = customer_ready_to_order(
        logon_id="jane.roe@example.com", first_name="Jane", last_name="Roe", phone="+14165550199"
    )
    AddressFactory(
        customer=customer,
        nickname="Cottage",
        line1="12 Lakeshore Rd",
        city="Ottawa",
        region="ON",
        postal_code="K1N 5W8",
    )
    return customer


def add_item(page, sku, qty):
    item = page.locator("#item")
    item.focus()
    page.keyboard.type(sku)
    page.keyboard.press("Tab")
    page.keyboard.type(str(qty))
    rows = page.locator("table.lines tbody tr[id^=line-]").count()
    page.keyboard.press("Enter")
    expect(page.locator("table.lines tbody tr[id^=line-]")).not_to_have_count(rows)
    expect(item).to_be_focused()


def shortcut(page, key):
    page.locator("#item").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.keyboard.press(key)


def test_a_registered_customer_order_with_two_ship_tos_code_adjustment_and_stored_card(
    page, jane, mailoutbox
):
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/new/customer/{jane.pk}/")
    expect(page.locator(".custbar")).to_contain_text("Jane Roe")
    expect(page.locator(".shiprow select[name=ship_to]")).to_contain_text("Home")
    expect(page.locator(".paybox")).to_contain_text("4242")
    add_item(page, "NB-BLK-A5", 3)

    shortcut(page, "s")
    expect(page.get_by_role("heading", name="Ship-to and shipping method")).to_be_visible()
    page.get_by_label(re.compile("Cottage")).check()
    page.locator("#panel select[name=method]").select_option("express")
    screenshot(page, "orders-11-registered-ship-to")
    page.get_by_role("button", name=re.compile("Use this ship-to")).click()
    expect_panel_closed(page)
    expect(page.locator(".shiprow select[name=ship_to] option:checked")).to_contain_text("Cottage")
    add_item(page, "PEN-GEL-B", 4)

    shortcut(page, "p")
    expect(page.locator("#f-code")).to_be_focused()
    page.keyboard.type("SPRING15")
    page.keyboard.press("Enter")
    expect_panel_closed(page)
    expect(page.locator(".promos .why-list").first).to_contain_text("Spring")

    shortcut(page, "a")
    expect(page.get_by_role("heading", name="CSR adjustment")).to_be_visible()
    page.locator("#panel select[name=kind]").select_option("order_amount")
    page.locator("#f-value").fill("5.00")
    page.locator("#panel select[name=reason_code]").select_option("appeasement")
    page.locator("#f-comment").fill("Late delivery last time")
    screenshot(page, "orders-12a-adjustment-panel")
    page.get_by_role("button", name=re.compile("Add adjustment")).click()
    expect_panel_closed(page)
    screenshot(page, "orders-12-registered-cart")

    shortcut(page, "r")
    expect(page.get_by_role("heading", name=re.compile("Review order summary"))).to_be_visible()
    expect(page.locator(".review-lines h2")).to_have_count(2)
    wait_for_scripts(page)
    screenshot(page, "orders-13-registered-review")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name=re.compile(r"Order NW-\d{6} placed"))).to_be_visible()
    wait_for_scripts(page)
    screenshot(page, "orders-14-registered-placed")

    order = Order.objects.get(customer=jane)
    assert order.status == OrderStatus.AUTHORIZED
    assert order.addresses.filter(kind="shipping").count() == 2
    assert order.discount_total > 0
    assert [m.to for m in mailoutbox if order.number in m.subject] == [[jane.email]]

    page.keyboard.press("v")
    expect(page.get_by_role("heading", name=re.compile(f"Order {order.number}"))).to_be_visible()
    screenshot(page, "orders-15-order-page")


def test_a_declined_card_is_fixed_with_another_card_then_submitted(page, demo_store):
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto("/orders/new/guest/")
    page.get_by_label("First name").fill("Dee")
    page.get_by_label("Last name").fill("Klein")
    page.get_by_label("E-mail").fill("dee@example.com")
    page.keyboard.press("Enter")
    # and its load: before htmx wires the item box, Enter there would reload the page
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    add_item(page, "NB-BLK-A5", 1)
    shortcut(page, "s")
    page.locator("#f-first_name").fill("Dee")
    page.locator("#f-last_name").fill("Klein")
    page.locator("#f-line1").fill("1 Main St")
    page.locator("#f-city").fill("Toronto")
    page.locator("#f-region").fill("ON")
    page.locator("#f-postal_code").fill("M4C 1A1")
    page.keyboard.press("Enter")
    expect_panel_closed(page)
    shortcut(page, "b")
    page.locator("#f-card_number").fill("4000 0000 0000 0002")
    page.locator("#f-exp_month").fill("11")
    page.locator("#f-exp_year").fill("2030")
    page.locator("#f-cvv").fill("123")
    page.keyboard.press("Enter")
    expect_panel_closed(page)

    shortcut(page, "r")
    expect(page.get_by_role("heading", name=re.compile("Review order summary"))).to_be_visible()
    wait_for_scripts(page)
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert").first).to_contain_text("declined")
    wait_for_scripts(page)
    screenshot(page, "orders-21-declined")
    order = Order.objects.get(guest_email="dee@example.com")
    assert order.status == OrderStatus.PENDING and order.number is None

    page.keyboard.press("b")  # "Change payment" on the review opens the payment panel
    expect(page.get_by_role("heading", name="Billing and payment")).to_be_visible()
    expect(page.locator("#panel")).to_contain_text("declined")
    page.locator("#f-card_number").fill("4242 4242 4242 4242")
    page.locator("#f-exp_month").fill("11")
    page.locator("#f-exp_year").fill("2030")
    page.locator("#f-cvv").fill("123")
    screenshot(page, "orders-22-another-card")
    page.keyboard.press("Enter")
    expect_panel_closed(page)
    shortcut(page, "r")
    expect(page.get_by_role("heading", name=re.compile("Review order summary"))).to_be_visible()
    wait_for_scripts(page)
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name=re.compile(r"Order NW-\d{6} placed"))).to_be_visible()
    order.refresh_from_db()
    assert order.status == OrderStatus.AUTHORIZED


def test_typing_a_card_number_picks_a_new_card_over_the_stored_one(page, jane):
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/new/customer/{jane.pk}/")
    expect(page.locator(".paybox")).to_contain_text("4242")
    add_item(page, "NB-BLK-A5", 1)
    shortcut(page, "b")
    stored = page.get_by_label(re.compile("4242"))
    new_card = page.get_by_label("A new card (below)")
    expect(stored).to_be_checked()
    # the panel is open and wired once the cursor is in its first field (the card number)
    expect(page.locator("#f-card_number")).to_be_focused()
    page.keyboard.type("5555 5555 5555 4444")
    expect(new_card).to_be_checked()
    expect(stored).not_to_be_checked()
    page.locator("#f-exp_month").fill("11")
    page.locator("#f-exp_year").fill("2034")
    page.locator("#f-cvv").fill("321")
    screenshot(page, "orders-18-new-card-typed")
    page.locator("#f-cvv").press("Enter")
    expect_panel_closed(page)
    expect(page.locator(".cart-msg")).to_contain_text("····4444 11/34 will be charged")
    expect(page.locator(".paybox")).to_contain_text("4444")

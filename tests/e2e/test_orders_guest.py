"""A guest order placed with the keyboard only, against the demo store."""

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
    # The guest's name is already there: the cursor starts at the street.
    expect(page.locator("#panel input[name=first_name]")).to_have_value("Gail")
    expect(page.locator("#panel input[name=last_name]")).to_have_value("Guest")
    expect(page.locator("#panel input[name=line1]")).to_be_focused()
    type_and_tab(page, "100 King St W", "", "Toronto", "ON", "M5H 1A1")
    screenshot(page, "orders-04-ship-to-panel")
    page.keyboard.press("Enter")
    expect_panel_closed(page)
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
    expect_panel_closed(page)
    screenshot(page, "orders-06-cart-ready")

    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.get_by_role("heading", name=re.compile("Review order summary"))).to_be_visible()
    wait_for_scripts(page)
    screenshot(page, "orders-07-review")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name=re.compile(r"Order NW-\d{6} placed"))).to_be_visible()
    screenshot(page, "orders-08-placed")

    order = Order.objects.get(guest_email="gail@example.com")
    assert order.status == OrderStatus.AUTHORIZED and order.lines.count() >= 2
    assert any(order.number in m.subject for m in mailoutbox)


def test_ten_lines_fit_on_the_order_screen_and_the_cart_is_found_again(page, demo_store):
    from django.contrib.auth import get_user_model

    from catalog.models import SKU
    from orders import services

    csr = get_user_model().objects.get(username="csr")
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Tess", "last_name": "Ten", "email": "tess@example.com"}
    )
    services.ship_to_add(
        actor=csr,
        order=cart,
        address={
            "first_name": "Tess",
            "last_name": "Ten",
            "line1": "5 Bay St",
            "city": "Toronto",
            "region": "ON",
            "postal_code": "M5J 2R8",
            "country": "CA",
        },
    )
    codes = [
        s.code
        for s in SKU.objects.order_by("code")
        if not s.code.startswith(("KIT-", "SVC-")) and s.is_buyable
    ]
    for code in codes[::7][:10]:
        services.line_add(actor=csr, order=cart, sku_code=code, quantity=2)
    services.promotion_code_enter(actor=csr, order=cart, code="SPRING15")

    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/")
    rows = page.locator("table.lines tbody tr")
    assert rows.count() >= 10
    screenshot(page, "orders-09-ten-lines")
    viewport = page.viewport_size["height"]
    needs_scroll = page.eval_on_selector(".lines-wrap", "el => el.scrollHeight > el.clientHeight")
    assert not needs_scroll, "ten lines should fit without scrolling"
    assert rows.last.bounding_box()["y"] + rows.last.bounding_box()["height"] <= viewport
    review = page.get_by_role("link", name=re.compile("Review"))
    assert review.bounding_box()["y"] + review.bounding_box()["height"] <= viewport
    expect(page.locator(".totals")).to_contain_text("Total")

    # `?` lists the order screen's own keys too.
    page.locator("#item").blur()
    page.keyboard.press("?")
    overlay = page.get_by_role("dialog", name="Keyboard shortcuts")
    for label in (
        "Enter a promotion code",
        "CSR adjustment",
        "Ship-to and shipping method",
        "Billing and payment",
        "Review order summary",
    ):
        expect(overlay.get_by_role("cell", name=label)).to_be_visible()
    screenshot(page, "orders-09b-shortcuts")
    page.keyboard.press("Escape")

    # Parked: a CSR finds the cart again with Find orders (O) by the guest's e-mail.
    page.goto("/")
    page.keyboard.press("o")
    expect(page.get_by_role("heading", name="Find orders")).to_be_visible()
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("tess@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("table.results")).to_contain_text(f"Cart #{cart.pk}")
    wait_for_scripts(page)
    screenshot(page, "orders-10-find")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name=f"Cart #{cart.pk}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".custbar")).to_contain_text("Tess Ten")


def test_the_shipping_method_is_picked_by_its_first_letter_and_enter_on_it_saves_the_panel(
    page, demo_store
):
    from django.contrib.auth import get_user_model

    from orders import services

    csr = get_user_model().objects.get(username="csr")
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Gail", "last_name": "Guest", "email": "g@example.com"}
    )
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/")
    wait_for_scripts(page)
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(page.locator("#panel input[name=line1]")).to_be_focused()
    type_and_tab(page, "100 King St W", "", "Toronto", "ON", "M5H 1A1")
    page.locator("#panel select[name=method]").focus()
    page.keyboard.press("e")
    expect(page.locator("#panel select[name=method]")).to_have_value("express")

    page.keyboard.press("Enter")

    expect_panel_closed(page)
    expect(page.locator(".shiprow select[name=method]")).to_have_value("express")

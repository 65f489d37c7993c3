"""The order screen typed, not clicked: a quantity after the SKU, one Enter for a code typed in
full, a promotion code in the item box, shortcuts from inside a field with Alt, the shipping
method by its first letter, and the ship-to panel's method one Tab from the chosen address."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from orders import services
from tests.e2e.conftest import (
    demo_guest_cart,
    expect_panel_closed,
    log_in,
    screenshot,
    wait_for_scripts,
)

ROWS = "table.lines tbody tr[id^=line-]"


@pytest.fixture
def cart(transactional_db):
    return demo_guest_cart("Kay", "Board", "k@example.com")


def open_cart(page, cart):
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/")
    wait_for_scripts(page)
    expect(page.locator("#item")).to_be_focused()


def test_a_quantity_typed_after_the_sku_adds_that_many_with_one_enter(page, cart):
    open_cart(page, cart)

    page.keyboard.type("PEN-GEL-B*3")
    page.keyboard.press("Enter")

    row = page.locator(ROWS, has_text="PEN-GEL-B")
    expect(row.locator("input.qty-in")).to_have_value("3")
    expect(page.locator("#item")).to_be_focused()
    expect(page.locator("#item")).to_have_value("")


def test_several_suggestions_ask_which_one_and_how_many(page, cart):
    open_cart(page, cart)

    page.keyboard.type("PEN-GEL")  # a prefix of eight pens
    expect(page.locator("#suggest li[data-sku]")).not_to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page.locator("#qty")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator(f"{ROWS} input.qty-in")).to_have_value("2")


def test_a_promotion_code_typed_in_the_item_box_is_entered(page, cart):
    open_cart(page, cart)
    page.keyboard.type("NB-BLK-A5")
    page.keyboard.press("Enter")
    expect(page.locator(ROWS, has_text="NB-BLK-A5")).to_have_count(1)

    page.keyboard.type("spring15")
    expect(page.locator("#suggest [data-promotion-code]")).to_contain_text("SPRING15")
    screenshot(page, "orders-31-code-in-item-box")
    page.keyboard.press("Enter")

    expect(page.locator("#cart-msg")).to_contain_text("SPRING15")
    expect(page.locator(ROWS)).to_have_count(1)  # no line for it


def test_an_unknown_sku_is_refused_and_its_text_stays_to_be_fixed(page, cart):
    open_cart(page, cart)

    page.keyboard.type("NB-BLK-Z9")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # no suggestion came: the second Enter sends it anyway

    expect(page.locator("#cart-msg")).to_contain_text("No SKU")
    expect(page.locator("#item")).to_have_value("NB-BLK-Z9")


def test_alt_and_a_shortcut_letter_work_from_inside_the_item_box(page, cart):
    open_cart(page, cart)
    page.keyboard.type("NB")

    page.keyboard.press("Alt+p")

    expect(page.locator("#f-code")).to_be_focused()
    page.keyboard.press("Escape")
    expect_panel_closed(page)


def test_the_shipping_method_is_chosen_by_w_and_its_first_letter(page, cart):
    open_cart(page, cart)
    page.keyboard.press("Escape")  # out of the item box

    page.keyboard.press("w")
    page.keyboard.press("o")  # Overnight

    expect(page.locator("#item")).to_be_focused()  # saved; back to the items
    page.reload()
    expect(page.locator(".shiprow select[name=method]")).to_have_value("overnight")


def test_the_ship_to_panel_reaches_the_method_one_tab_after_the_address(page, cart):
    from tests.customers.factories import AddressFactory, CustomerFactory

    customer = CustomerFactory(first_name="Rae", last_name="Booked")
    AddressFactory(customer=customer, nickname="Home", is_default_shipping=True)
    csr = get_user_model().objects.get(username="csr")
    open_cart(page, services.cart_create(actor=csr, customer=customer))
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(page.locator("#panel-body input[name=address_id]").first).to_be_focused()

    page.keyboard.press("Tab")

    expect(page.locator("#panel-body select[name=method]")).to_be_focused()
    page.keyboard.press("e")  # Express
    page.keyboard.press("Enter")  # saves the panel from the select
    expect_panel_closed(page)
    expect(page.locator(".shiprow select[name=method]")).to_have_value("express")


def test_what_is_typed_while_the_page_still_loads_gets_its_suggestions(page, cart):
    """The browser puts the cursor in the item box before htmx has wired it; a CSR who starts
    typing then still sees the suggestions once it has."""
    log_in(page, "csr", settings.DEMO_PASSWORD)
    held = []  # htmx's script, held back until the CSR has typed
    page.route("**/htmx-2*.js", lambda route: held.append(route))
    page.goto(f"/orders/{cart.pk}/", wait_until="commit")
    expect(page.locator("#item")).to_be_focused()
    page.keyboard.type("noteb")
    expect(page.locator("#suggest li[data-sku]")).to_have_count(0)  # nothing wired yet

    held[0].continue_()

    expect(page.locator("#suggest li[data-sku]").first).to_be_visible()
    expect(page.locator("#suggest li[data-sku]").first).to_contain_text("Notebook")

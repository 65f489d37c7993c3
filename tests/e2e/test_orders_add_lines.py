"""Items added one after another: each add answers with only what changed (the new line, the
price cells of lines whose price it moved, the totals), and the screen ends up exactly as a
fresh load of the order draws it."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from orders import services
from tests.e2e.conftest import demo_guest_cart, log_in, screenshot

ROWS = "table.lines tbody tr[id^=line-]"


@pytest.fixture
def cart(transactional_db):
    cart = demo_guest_cart("Ada", "Adder", "a@example.com")
    services.line_add(actor=cart.created_by, order=cart, sku_code="NB-BLK-A5")
    return cart


LINE_TOTAL_PLUS_DISCOUNT_IS = """(expected) => {
  const row = document.querySelector("table.lines tbody tr[id^=line-]");
  const cents = (id) => Math.round(parseFloat(
    row.querySelector(`td[id$=-${id}]`).textContent.replace("\u2212", "")) * 100) || 0;
  return cents("total") + cents("discount") === Math.round(parseFloat(expected) * 100);
}"""


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
    # 4 × 30.51 before discounts; the demo's weekend promotion takes its share on Sat and Sun.
    page.wait_for_function(LINE_TOTAL_PLUS_DISCOUNT_IS, arg="122.04")
    expect(page.locator("#cart-msg")).to_be_empty()
    screenshot(page, "orders-30-items-added")
    shown = screen_text(page)
    version = page.locator("#order-version").input_value()

    page.reload()

    assert screen_text(page) == shown
    assert page.locator("#order-version").input_value() == version


def test_an_add_that_moves_another_lines_price_redraws_its_cells(page, cart):
    from decimal import Decimal

    from pricing.loader import bump_rules_version
    from tests.pricing.factories import PromotionFactory

    PromotionFactory(
        name="Two items, 10% off", reward="product_percent", percent=Decimal("10"), min_quantity=2
    )
    bump_rules_version()
    log_in(page, "csr", settings.DEMO_PASSWORD)
    page.goto(f"/orders/{cart.pk}/")
    first = page.locator(ROWS).first
    expect(first).not_to_contain_text("Two items, 10% off")

    add_item(page, "PEN-GEL-B", 1)

    expect(first.locator(".why")).to_contain_text("Two items, 10% off")
    expect(first.locator("td[id$=-discount]")).to_have_text(re.compile(r"^−\d+\.\d\d$"))
    screenshot(page, "orders-add-moves-another-line")
    shown = screen_text(page)
    page.reload()
    assert screen_text(page) == shown

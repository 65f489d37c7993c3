"""Operations: find stock with the keyboard, adjust it, receive an expected delivery."""

from playwright.sync_api import expect

from core.roles import Role
from fulfillment.models import Inventory
from tests.catalog.factories import SKUFactory
from tests.e2e.conftest import log_in, screenshot
from tests.fulfillment.factories import CenterFactory, stock
from tests.fulfillment.factories import expect as expect_stock


def test_operations_adjusts_and_receives_with_the_keyboard(page, staff_user):
    staff_user("olu", Role.OPERATIONS)
    tor = CenterFactory(code="TOR", name="Toronto", precedence=1)
    van = CenterFactory(code="VAN", name="Vancouver", precedence=2)
    pen = SKUFactory(code="PEN-GEL-BLK", name="Gel pen, black")
    for i in range(8):
        sku = SKUFactory(code=f"NB-A5-{i}", name=f"Notebook A5 colour {i}")
        stock(sku, tor, 40 + i)
        stock(sku, van, i % 3)
    stock(pen, tor, 1)
    stock(pen, van, 0)
    expect_stock(pen, tor, 24, days=5)

    log_in(page, "olu")
    page.keyboard.press("i")
    page.wait_for_url("**/fulfillment/")
    expect(page.get_by_role("heading", name="Inventory", exact=True)).to_be_visible()
    page.keyboard.press("/")
    page.keyboard.type("PEN")
    rows = page.locator("#inv-rows tbody tr")
    expect(rows).to_have_count(2)
    screenshot(page, "fulfillment-inventory-search")
    rows.first.get_by_role("button", name="PEN-GEL-BLK").click()
    page.get_by_label("Change (+/-)").fill("-3")
    page.get_by_label("Reason").select_option("damaged")
    page.keyboard.press("Control+Enter")
    expect(
        page.get_by_text("Nothing changed: TOR has only 1 of PEN-GEL-BLK on hand")
    ).to_be_visible()
    screenshot(page, "fulfillment-inventory-refused")

    page.get_by_label("Quantity received of PEN-GEL-BLK").fill("20")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("Received 20 × PEN-GEL-BLK into TOR")).to_be_visible()
    assert Inventory.objects.get(sku=pen, center=tor).on_hand == 21
    screenshot(page, "fulfillment-inventory")

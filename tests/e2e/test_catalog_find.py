"""A CSR on the phone looks an item up in the catalog, keyboard only, and sees that the old
notebook the caller asks for is discontinued, with its replacement next to it."""

from playwright.sync_api import expect

from catalog import demo
from catalog.models import Category
from core.roles import Role
from tests.e2e.conftest import log_in, screenshot


def test_csr_finds_a_discontinued_item_and_its_replacement_with_the_keyboard(page, staff_user):
    demo.load(lambda line: None)
    staff_user("casey", Role.CSR)
    log_in(page, "casey")

    page.keyboard.press("k")  # Catalog
    page.wait_for_url("**/catalog/")
    box = page.get_by_role("searchbox", name="SKU or name")
    expect(box).to_be_focused()

    page.keyboard.type("notebook 2024")
    results_for = page.locator(".catalog-results")  # the query its rows answer
    # rows for "notebook 202" may show first, and be replaced under the cursor
    expect(results_for).to_have_attribute("data-query", "notebook 2024")
    rows = page.locator("#catalog-results [data-row]")
    expect(rows).to_have_count(2)
    old = rows.filter(has_text="NB24-BLK-A5")
    expect(old).to_contain_text("Discontinued")
    expect(old).to_contain_text("Replacement")
    expect(old).to_contain_text("NB-BLK-A5")
    screenshot(page, "catalog-find-discontinued")

    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="NB24-BLK-A5")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalog/sku/NB24-BLK-A5/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("NB24-BLK-A5")
    expect(page.locator(".sku-head")).to_contain_text("Discontinued")
    expect(page.get_by_role("note")).to_contain_text("replacement: NB-BLK-A5")
    replacement = page.get_by_role("link", name="NB-BLK-A5", exact=True)
    expect(replacement).to_be_visible()
    screenshot(page, "catalog-sku-discontinued")

    # the replacement, by code: Enter in the box opens the exact match
    page.keyboard.press("k")
    page.wait_for_url("**/catalog/")
    expect(box).to_be_focused()  # typed before the cursor is there, "n" would be a shortcut
    page.keyboard.type("nb-blk-a5")
    expect(results_for).to_have_attribute("data-query", "nb-blk-a5")  # else Enter only searches
    expect(rows.first).to_contain_text("NB-BLK-A5")
    expect(rows.first).to_contain_text("Available")
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalog/sku/NB-BLK-A5/")
    expect(page.locator(".sku-head")).to_contain_text("Available")
    screenshot(page, "catalog-sku-available")


def test_csr_filters_by_category_and_buyable_with_the_keyboard(page, staff_user):
    demo.load(lambda line: None)
    staff_user("casey", Role.CSR)
    log_in(page, "casey")
    page.goto("/catalog/")
    expect(page.get_by_role("searchbox", name="SKU or name")).to_be_focused()
    page.keyboard.type("gel")
    # not rows for "ge", which could come back after the filters' answers below
    expect(page.locator(".catalog-results")).to_have_attribute("data-query", "gel")
    rows = page.locator("#catalog-results [data-row]")
    expect(rows.first).to_be_visible()
    expect(page.locator("#catalog-results")).to_contain_text("PEN-GELC-K")  # discontinued

    page.keyboard.press("Tab")  # to the category filter
    expect(page.locator("#category")).to_be_focused()
    page.keyboard.press("Tab")  # to "Buyable only"; Space ticks it
    page.keyboard.press("Space")
    expect(page.locator("#catalog-results")).not_to_contain_text("PEN-GELC-K")
    page.locator("body").click()
    page.keyboard.press("t")  # the category filter's shortcut
    expect(page.locator("#category")).to_be_focused()
    gel_pens = Category.objects.get(code="pens-gel")
    page.locator("#category").select_option(value=str(gel_pens.pk))
    expect(page.locator("#catalog-results")).not_to_contain_text("PEN-BP")
    expect(rows.first).to_contain_text("PEN-GEL")
    screenshot(page, "catalog-find-filtered")

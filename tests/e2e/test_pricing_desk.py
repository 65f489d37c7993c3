"""Pricing in the browser: the store admin's preview, and a supervisor's approval queue."""

from decimal import Decimal

from playwright.sync_api import expect

from core.roles import Role
from orders.pricing import amounts_of, reprice_order
from pricing import models as m
from pricing import services
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts
from tests.pricing.conftest import Store
from tests.pricing.factories import PromotionFactory


def test_store_admin_previews_a_cart_with_the_explanation(page, staff_user):
    store = Store()
    PromotionFactory(
        name="Buy 2 notebooks, get a case",
        reward=m.Reward.PRODUCT_GIFT,
        percent=None,
        min_quantity=2,
        gift_sku=store.case,
        limit_per_order=1,
        categories=[store.notebooks],
    )
    PromotionFactory(
        name="Free shipping over 50.00", reward=m.Reward.SHIPPING_FREE, percent=None, min_amount=50
    )
    PromotionFactory(name="Spring", code="SPRING15", percent=Decimal("15"))
    staff_user("admin", Role.STORE_ADMIN, is_staff=True)
    log_in(page, "admin")
    page.goto("/admin/pricing/promotion/")
    page.get_by_role("link", name="Preview pricing").click()
    page.locator("#id_items").fill("NB-A5 2\nPEN-BLK 1")
    page.locator("#id_shipping_method").select_option(label=store.ground.name)
    page.locator("#id_region").fill("ON")
    page.get_by_role("button", name="Price this cart").click()
    expect(page.locator("#applied")).to_contain_text("Buy 2 notebooks, get a case")
    expect(page.locator("#preview-result")).to_contain_text("Free gift")
    expect(page.locator("#near-misses")).to_contain_text(
        "Add 23.50 more for “Free shipping over 50.00”."
    )
    expect(page.locator("#not-applied")).to_contain_text("Code SPRING15 has not been entered.")
    # 24.00 + 2.50 = 26.50; shipping 8.00; HST 13 % of 34.50 = 4.49
    expect(page.locator("#preview-total")).to_have_text("38.99")
    page.locator("#preview-result").scroll_into_view_if_needed()
    screenshot(page, "pricing-admin-preview")


def test_supervisor_approves_from_the_queue_with_the_keyboard(page, staff_user):
    store = Store()
    csr = staff_user("casey", Role.CSR)
    staff_user("sam", Role.SUPERVISOR)
    order = store.cart(notebook=10)
    reprice_order(order=order)
    services.add_adjustment(
        order=amounts_of(order),
        actor=csr,
        kind="order_percent",
        value="20",
        reason_code="price_match",
        comment="Competitor flyer",
    )
    log_in(page, "sam")
    page.keyboard.press("v")
    expect(page.get_by_role("heading", name="Adjustments awaiting approval")).to_be_visible()
    expect(page.locator("#approvals")).to_contain_text("Competitor flyer")
    wait_for_scripts(page)
    screenshot(page, "pricing-approvals")
    page.keyboard.press("a")
    expect(page.locator(".msg-success")).to_contain_text("Approved")
    expect(page.locator("#approvals-empty")).to_be_visible()
    order.refresh_from_db()
    assert order.discount_total == Decimal("20.00")

"""Operations runs the release job, prints a pick ticket, confirms a shipment; the order shows
shipped with its tracking number."""

from playwright.sync_api import expect

from core.roles import Role
from orders.models import Order
from tests.catalog.factories import SKUFactory
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts
from tests.fulfillment.factories import (
    ArrangementFactory,
    CenterFactory,
    ShippingMethodFactory,
    stock,
)
from tests.fulfillment.release_helpers import accepted_order


def test_operations_releases_picks_and_ships(page, staff_user):
    ops = staff_user("olu", Role.OPERATIONS)
    staff_user("cara", Role.CSR)
    tor = CenterFactory(code="TOR", name="Toronto", precedence=1)
    ground = ShippingMethodFactory(code="ground", name="Ground", carrier="Canada Post")
    ArrangementFactory(center=tor, shipping_method=ground)
    nb = SKUFactory(code="NB-BLK-A5", name="Notebook, black, A5")
    pen = SKUFactory(code="PEN-GEL-B", name="Gel pen, blue")
    stock(nb, tor, 20)
    stock(pen, tor, 20)
    order = accepted_order(created_by=ops, method=ground, lines=[(nb, 2), (pen, 3)])
    Order.objects.filter(pk=order.pk).update(guest_email="gail@example.com")

    log_in(page, "olu")
    page.keyboard.press("j")
    page.wait_for_url("**/fulfillment/ops/")
    expect(page.get_by_role("heading", name="Operations", exact=True)).to_be_visible()
    page.keyboard.press("r")
    expect(page.get_by_text("Release orders done: orders 1, releases 1")).to_be_visible()
    screenshot(page, "fulfillment-ops-released")

    number = f"{order.number}-R1"
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Release {number}")).to_be_visible()
    wait_for_scripts(page)
    page.keyboard.press("t")
    page.wait_for_url("**/pick-ticket/")
    expect(page.get_by_role("heading", name=f"Pick ticket {number}")).to_be_visible()
    expect(page.get_by_text("Gel pen, blue")).to_be_visible()
    screenshot(page, "fulfillment-pick-ticket")
    page.get_by_role("link", name="Back to the release").click()
    page.wait_for_url("**/releases/*/")  # and its load, so Ctrl+Enter works

    page.get_by_label("Tracking number").fill("7316 8842 0091")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("added to order")).to_be_visible()
    expect(page.get_by_text("Shipped", exact=True).first).to_be_visible()
    screenshot(page, "fulfillment-release-shipped")

    page.context.clear_cookies()
    log_in(page, "cara")
    page.goto(f"/orders/{order.pk}/")
    expect(page.locator(".detail-head .status")).to_have_text("Shipped")
    expect(page.locator("#ship-history .tracking")).to_have_text("7316 8842 0091")
    screenshot(page, "fulfillment-order-shipped")


def test_operations_moves_through_releases_with_arrows_and_types_tracking_after_slash(
    page, staff_user
):
    ops = staff_user("olu", Role.OPERATIONS)
    tor = CenterFactory(code="TOR", name="Toronto", precedence=1)
    ground = ShippingMethodFactory(code="ground", name="Ground", carrier="Canada Post")
    ArrangementFactory(center=tor, shipping_method=ground)
    nb = SKUFactory(code="NB-BLK-A5", name="Notebook, black, A5")
    stock(nb, tor, 20)
    for _ in range(2):
        accepted_order(created_by=ops, method=ground, lines=[(nb, 1)])
    log_in(page, "olu")
    page.goto("/fulfillment/ops/")
    page.keyboard.press("r")
    expect(page.get_by_text("Release orders done: orders 2, releases 2")).to_be_visible()
    wait_for_scripts(page)
    links = page.locator("[data-rows] [data-row] td:first-child a")
    first, second = links.nth(0).inner_text(), links.nth(1).inner_text()

    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name=first)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name=second)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Release {first}")).to_be_visible()
    wait_for_scripts(page)
    expect(page.locator(".ship-form kbd", has_text="/")).to_be_visible()
    page.keyboard.press("/")
    expect(page.get_by_label("Tracking number")).to_be_focused()

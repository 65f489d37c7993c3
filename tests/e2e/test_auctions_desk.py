"""A CSR bids for one caller and autobids for another, by keyboard; a supervisor force-closes
the auction and sees the winner's order."""

from decimal import Decimal

from playwright.sync_api import expect

from auctions.models import Auction, Bid
from tests.auctions.factories import auction, bidder, lot
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts
from tests.fulfillment.factories import ArrangementFactory, ShippingMethodFactory


def test_a_csr_bids_and_autobids_and_a_supervisor_force_closes(page, store_admin, csr, supervisor):
    sku, center = lot(on_hand=5)
    ArrangementFactory(center=center, shipping_method=ShippingMethodFactory(code="ground"))
    found = auction(store_admin, sku=sku, center=center, title="Fountain pen, boxed")
    alice, bob = bidder(first_name="Alice"), bidder(first_name="Bob")

    log_in(page, "csr1", "pw-csr1")
    wait_for_scripts(page)
    page.keyboard.press("8")
    expect(page.get_by_role("heading", name="Auctions")).to_be_visible()
    expect(page.locator("#auctions")).to_contain_text("Fountain pen, boxed")
    screenshot(page, "auctions-list")
    page.get_by_role("link", name="Fountain pen, boxed").click()
    wait_for_scripts(page)

    def pick(customer):
        page.keyboard.press("c")
        expect(page.locator("#customer-box")).to_be_focused()
        page.keyboard.type(customer.logon_id)
        page.keyboard.press("Enter")
        expect(page.locator("#standing")).to_be_visible()
        wait_for_scripts(page)

    pick(alice[0])
    page.keyboard.press("p")
    expect(page.locator("#bid-price")).to_be_focused()
    page.keyboard.type("12.00")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Bid placed.")).to_be_visible()
    expect(page.locator("#current-price")).to_have_text("12.00")
    expect(page.locator("#standing")).to_have_text("leading")

    pick(bob[0])
    page.keyboard.press("a")
    expect(page.locator("#autobid-max")).to_be_focused()
    page.keyboard.type("40.00")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Autobid placed.")).to_be_visible()
    expect(page.locator("#current-price")).to_have_text("13.00")
    expect(page.locator("#standing")).to_have_text("leading")
    expect(page.locator("#minimum-next")).to_have_text("14.00")
    screenshot(page, "auctions-detail")

    page.context.clear_cookies()
    log_in(page, "super1", "pw-super1")
    page.goto(f"/auctions/{found.pk}/")
    wait_for_scripts(page)
    page.keyboard.press("x")
    expect(page.get_by_text("1 winning bids: 1 orders placed")).to_be_visible()
    expect(page.locator("#auction-status")).to_have_text("Closed")
    screenshot(page, "auctions-closed")
    won = Bid.objects.get(customer=bob[0])
    assert won.status == "ordered" and won.won_price == Decimal("13.00")
    assert Auction.objects.get(pk=found.pk).reserved_quantity == 0
    page.locator(".won-order").click()
    expect(page.get_by_text(won.order.number).first).to_be_visible()
    screenshot(page, "auctions-won-order")

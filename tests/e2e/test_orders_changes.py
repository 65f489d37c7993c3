"""Issue 16 in the browser: a CSR changes a placed order's quantity and card and sees the
version, the line diff, the payment delta and the e-mail; a supervisor releases a held order
from the queue."""

from decimal import Decimal

from django.core import mail
from playwright.sync_api import expect

from core.roles import Role
from orders import services
from orders.models import Order, OrderHold, OrderPayment, PaymentStatus
from orders.services.holds import hold_place
from tests.catalog.factories import SKUFactory
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts
from tests.fulfillment.factories import (
    ArrangementFactory,
    CenterFactory,
    ShippingMethodFactory,
    stock,
)
from tests.orders.conftest import make_ready
from tests.pricing.factories import PriceListEntryFactory, PriceListFactory


def placed_order(csr):
    tor = CenterFactory(code="TOR", name="Toronto", precedence=1)
    ShippingMethodFactory(code="ground", name="Ground", carrier="Canada Post")
    from pricing.models import ShippingMethod

    ground = ShippingMethod.objects.get(code="ground")
    ArrangementFactory(center=tor, shipping_method=ground)
    nb = SKUFactory(code="NB-BLK-A5", name="Notebook, black, A5")
    stock(nb, tor, 50)
    PriceListEntryFactory(price_list=PriceListFactory(currency="CAD"), sku=nb, price="12.00")
    cart = services.cart_create(
        actor=csr,
        guest={"first_name": "Gail", "last_name": "Guest", "email": "gail@example.com"},
    )
    make_ready(cart, csr, nb, qty=2)
    result = services.submit_order(actor=csr, order=cart, idempotency_key="e2e-1")
    assert result.placed
    return result.order


def test_a_csr_changes_quantity_and_card_and_sees_version_diff_delta_and_email(page, staff_user):
    csr = staff_user("cara", Role.CSR)
    order = placed_order(csr)
    mail.outbox.clear()
    before = order.total

    log_in(page, "cara")
    page.goto(f"/orders/{order.pk}/")
    expect(page.get_by_text("Version 1")).to_be_visible()
    wait_for_scripts(page)
    # the page loads three panels with htmx: E works once they have settled (their buttons
    # are bound then)
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    page.keyboard.press("e")
    qty = page.get_by_label("Quantity of NB-BLK-A5")
    expect(qty).to_be_focused()
    qty.fill("5")
    page.get_by_label("New card number").fill("5555555555554444")
    page.get_by_label("Expiry month").fill("01")
    page.get_by_label("Expiry year").fill("2033")
    page.get_by_label("CVV").fill("321")
    page.get_by_label("Reason for the change").fill("customer called")
    screenshot(page, "orders-change-mode")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("changed: version 2")).to_be_visible()
    order = Order.objects.get(pk=order.pk)
    delta = order.total - before
    assert delta > 0
    version2 = page.locator("#version-2")
    expect(version2).to_contain_text(f"+{delta}")
    expect(version2).to_contain_text("quantity 2 → 5")
    expect(version2).to_contain_text("4444")
    screenshot(page, "orders-change-versions")
    new = OrderPayment.objects.get(order=order, status=PaymentStatus.AUTHORIZED)
    assert new.last4 == "4444" and new.amount == order.total
    changed = [m for m in mail.outbox if "was changed" in m.subject]
    assert len(changed) == 1 and changed[0].to == ["gail@example.com"]
    assert "quantity 2 → 5" in changed[0].body and f"+{delta}" in changed[0].body
    assert order.total > Decimal("0")


def test_a_supervisor_releases_a_held_order_from_the_queue(page, staff_user):
    csr = staff_user("cara", Role.CSR)
    staff_user("sam", Role.SUPERVISOR)
    order = placed_order(csr)
    hold = hold_place(actor=csr, order=order, reason="Customer will call back")

    log_in(page, "sam")
    wait_for_scripts(page)
    page.keyboard.press("1")
    page.wait_for_url("**/orders/holds/")
    row = page.locator(f"#hold-{hold.pk}")
    expect(row).to_contain_text(order.number)
    expect(row).to_contain_text("Manual hold")
    screenshot(page, "orders-hold-queue")
    row.get_by_label(f"Note for {order.number}").fill("called back")
    row.get_by_role("button", name="Release hold").click()
    expect(page.get_by_text(f"Hold on {order.number} released.")).to_be_visible()
    expect(page.get_by_text("No order is on hold.")).to_be_visible()
    hold.refresh_from_db()
    assert hold.resolution == OrderHold.Resolution.RELEASED

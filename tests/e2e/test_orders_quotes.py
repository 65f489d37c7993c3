"""A quote in the browser: the CSR quotes a cart with its key (E); the price list changes and a
competing order is placed; converting the quote (S) places the order at the quoted prices with
the held stock. Screenshots of the quote screens."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.roles import Role
from orders import services
from orders.models import Order, OrderLine, OrderStatus, Quote
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts
from tests.orders.conftest import make_ready


@pytest.fixture
def store(transactional_db):
    from pricing.models import ShippingMethod
    from tests.catalog.factories import SKUFactory
    from tests.fulfillment.factories import ArrangementFactory, CenterFactory, stock
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory

    ground = ShippingMethod.objects.get_or_create(
        code="ground", defaults={"name": "Ground", "carrier": "Canada Post"}
    )[0]
    center = CenterFactory(code="TOR")
    ArrangementFactory(center=center, shipping_method=ground)
    sku = SKUFactory(code="NB-BLK-A5", name="Notebook, black, A5")
    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("12.00"))
    stock(sku, center, 3)
    return sku


def shortcut(page, key):
    if page.locator("#item").count():
        page.locator("#item").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.keyboard.press(key)


def test_a_quoted_cart_keeps_its_prices_and_stock_through_a_rule_change_and_a_rival(
    page, staff_user, store
):
    from pricing.loader import bump_rules_version
    from pricing.models import PriceListEntry

    csr = staff_user("csr", Role.CSR)
    cart = services.cart_create(
        actor=csr, guest={"first_name": "Gail", "last_name": "Guest", "email": "g@example.com"}
    )
    cart = make_ready(cart, csr, store, qty=3)
    log_in(page, "csr")
    page.goto(f"/orders/{cart.pk}/")
    wait_for_scripts(page)
    expect(page.locator("#quote-box")).to_contain_text("Quote E")
    screenshot(page, "quotes-cart-key")
    shortcut(page, "e")
    page.wait_for_url(re.compile(r"/orders/quotes/\d+/$"))
    quote = Quote.objects.get()
    expect(page.get_by_role("heading", name=f"Quote {quote.number}")).to_be_visible()
    expect(page.locator("body")).to_contain_text("6 d 23 h left")
    expect(page.locator("table.grid")).to_contain_text("held")
    screenshot(page, "quotes-detail")

    # Meanwhile the price list changes and another caller orders the same notebook.
    PriceListEntry.objects.update(price=Decimal("15.00"))
    bump_rules_version()
    rival = services.cart_create(actor=csr, guest={"last_name": "Rival", "email": "r@example.com"})
    rival = make_ready(rival, csr, store, qty=2)
    placed = services.submit_order(actor=csr, order=rival, idempotency_key="rival").order
    assert placed.status == OrderStatus.BACKORDERED

    page.reload()
    wait_for_scripts(page)
    shortcut(page, "s")
    page.wait_for_url(f"**/orders/{cart.pk}/placed/")
    order = Order.objects.get(pk=cart.pk)
    expect(page.get_by_role("heading", name=f"Order {order.number} placed")).to_be_visible()
    assert order.total == quote.total and order.status == OrderStatus.AUTHORIZED
    line = OrderLine.objects.get(order=order)
    assert line.unit_price == Decimal("12.00") and line.inventory_status == "allocated"


def test_the_supervisors_report_and_the_customer_page_show_open_quotes(page, staff_user, store):
    from customers.models import Customer
    from orders.services import quotes

    csr = staff_user("csr", Role.CSR)
    staff_user("boss", Role.SUPERVISOR)
    customer = Customer.objects.create(
        logon_id="jane.roe", first_name="Jane", last_name="Roe", email="jane@example.com"
    )
    cart = services.cart_create(actor=csr, customer=customer)
    quote = quotes.quote_create(actor=csr, order=make_ready(cart, csr, store, qty=2), days=2)
    log_in(page, "boss")
    page.goto("/orders/quotes/report/")
    expect(page.locator("table.grid")).to_contain_text(quote.number)
    screenshot(page, "quotes-report")
    page.goto(f"/customers/{customer.pk}/")
    expect(page.locator(".open-quotes")).to_contain_text("1 d 23 h")
    screenshot(page, "quotes-customer-page")


def test_an_expired_quote_shows_what_changed_and_places_at_the_new_total(page, staff_user, store):
    import datetime as dt

    from django.utils import timezone

    from pricing.loader import bump_rules_version
    from pricing.models import PriceListEntry
    from tests.pricing.factories import PromotionFactory

    csr = staff_user("csr", Role.CSR)
    PromotionFactory(name="Spring sale", percent=Decimal("10"))
    bump_rules_version()
    cart = services.cart_create(actor=csr, guest={"last_name": "Late", "email": "l@example.com"})
    from orders.services import quotes

    quote = quotes.quote_create(actor=csr, order=make_ready(cart, csr, store, qty=2))
    PromotionFactory._meta.model.objects.update(is_active=False)
    PriceListEntry.objects.update(price=Decimal("12.50"))
    bump_rules_version()
    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=5))
    log_in(page, "csr")
    page.goto(f"/orders/quotes/{quote.pk}/")
    wait_for_scripts(page)
    shortcut(page, "s")
    diff = page.locator(".quote-diff")
    expect(diff).to_contain_text("Spring sale ended: +2.40")
    expect(diff).to_contain_text("12.00 → 12.50: +1.00")
    screenshot(page, "quotes-expired-diff")
    shortcut(page, "s")
    page.wait_for_url(f"**/orders/{cart.pk}/placed/")
    assert Order.objects.get(pk=cart.pk).total == Decimal("25.00")  # 2 × 12.50, no sale

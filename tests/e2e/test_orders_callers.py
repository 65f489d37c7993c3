"""Finding a caller as a call center does: an order by a formatted phone and by a guest's
phone; the home box (and caller ID's `/?q=`) with the caller's open orders; a pinned note on
the order screen; the supervisor's audit screen with a CSR's adjustments of the day; orders found by
last name and creation days together."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.events import EventType
from core.roles import Role
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts


@pytest.fixture
def calls(transactional_db, staff_user):
    from orders import services
    from tests.customers.factories import CustomerFactory

    csr = staff_user("csr.callers", Role.CSR)
    jane = CustomerFactory(
        logon_id="jane.roe", first_name="Jane", last_name="Roe", phone="+12135552553"
    )
    jane_cart = services.cart_create(actor=csr, customer=jane)
    guest_cart = services.cart_create(
        actor=csr,
        guest={
            "first_name": "Gus",
            "last_name": "Walker",
            "email": "gus@example.com",
            "phone": "416 555 0199",
        },
    )
    return csr, jane, jane_cart, guest_cart


def test_find_an_order_by_a_formatted_phone_and_by_a_guest_phone(page, calls):
    _csr, _jane, jane_cart, guest_cart = calls
    log_in(page, "csr.callers")
    page.goto("/orders/find/")
    wait_for_scripts(page)
    page.locator("#q").fill("(213) 555-2553")
    page.locator("#q").press("Enter")
    results = page.locator("table.results tbody")
    expect(results.get_by_role("link", name=str(jane_cart))).to_be_visible()
    expect(results.get_by_role("link", name=str(guest_cart))).to_have_count(0)
    page.locator("#q").fill("416.555.0199")
    page.locator("#q").press("Enter")
    expect(results.get_by_role("link", name=str(guest_cart))).to_be_visible()
    expect(results.get_by_role("link", name=str(jane_cart))).to_have_count(0)


def test_find_orders_by_last_name_and_creation_days(page, calls):
    """Two fields at once: the name's orders (a customer's and a guest's) narrowed to those
    created since the day given; an older cart of the same customer is left out."""
    from orders import services
    from orders.models import Order

    csr, jane, jane_cart, _guest_cart = calls
    old_cart = services.cart_create(actor=csr, customer=jane)
    Order.objects.filter(pk=old_cart.pk).update(created_at=timezone.now() - dt.timedelta(days=60))
    rita_cart = services.cart_create(
        actor=csr, guest={"first_name": "Rita", "last_name": "Roe", "email": "rita@example.com"}
    )
    log_in(page, "csr.callers")
    page.goto("/orders/find/")
    wait_for_scripts(page)
    page.get_by_text("Advanced").click()
    since = timezone.localdate() - dt.timedelta(days=7)
    page.get_by_label("Created from").fill(since.isoformat())
    page.get_by_label("Last name").fill("roe")
    page.get_by_label("Last name").press("Enter")
    results = page.locator("table.results tbody")
    expect(results.get_by_role("link", name=str(jane_cart))).to_be_visible()
    expect(results.get_by_role("link", name=str(rita_cart))).to_be_visible()
    expect(results.get_by_role("link", name=str(old_cart))).to_have_count(0)
    expect(results.locator("[data-row]")).to_have_count(2)
    screenshot(page, "find-orders-name-and-days")


def test_the_home_box_opens_a_caller_by_phone_with_open_orders(page, calls):
    _csr, _jane, jane_cart, _guest_cart = calls
    log_in(page, "csr.callers")
    page.goto("/?q=%2B12135552553")  # what a phone system's caller ID opens
    caller = page.locator("[data-caller]").first
    expect(caller).to_contain_text("Jane Roe")
    expect(caller).to_contain_text("(213) 555-2553")  # the one format every screen shows
    expect(caller.get_by_role("link", name=str(jane_cart))).to_be_visible()
    page.goto("/")
    wait_for_scripts(page)
    page.locator("#caller-q").fill("213-555-2553")
    page.locator("#caller-q").press("Enter")
    expect(page.locator("[data-caller]").first).to_contain_text("Jane Roe")
    page.locator("[data-caller]").first.get_by_role("link", name=str(jane_cart)).click()
    expect(page.locator("#item")).to_be_visible()
    screenshot(page, "home-caller-lookup")


def test_a_pinned_note_shows_on_the_order_screen(page, calls):
    _csr, jane, jane_cart, _guest_cart = calls
    log_in(page, "csr.callers")
    page.goto(f"/customers/{jane.pk}/")
    wait_for_scripts(page)
    notes = page.locator("[data-notes]")
    notes.get_by_label("New note").fill("Ask for the PO number")
    notes.get_by_label("Pin to the customer's orders").check()
    notes.get_by_role("button", name="Add note").click()
    expect(page.locator("[data-note]").first).to_contain_text("Ask for the PO number")
    page.goto(f"/orders/{jane_cart.pk}/")
    expect(page.locator("[data-pinned-note]")).to_contain_text("Ask for the PO number")
    expect(page.locator(".custbar")).to_contain_text("(213) 555-2553")
    expect(page.locator("[data-customer-context]")).to_contain_text("Jane Roe")


def test_the_audit_screen_finds_a_csrs_adjustments_of_the_day(page, calls, staff_user):
    from pricing.models import PricingEvent

    csr, _jane, jane_cart, guest_cart = calls
    staff_user("super.callers", Role.SUPERVISOR)
    other = staff_user("csr.other", Role.CSR)
    today = PricingEvent.objects.create(
        event_type=EventType.ADJUSTMENT_ADDED, actor=csr, order=jane_cart, subject="−5.00"
    )
    yesterday = PricingEvent.objects.create(
        event_type=EventType.ADJUSTMENT_ADDED, actor=csr, order=guest_cart, subject="−7.00"
    )
    PricingEvent.objects.filter(pk=yesterday.pk).update(
        occurred_at=timezone.now() - dt.timedelta(days=1)
    )
    PricingEvent.objects.create(
        event_type=EventType.ADJUSTMENT_ADDED, actor=other, order=guest_cart, subject="−9.00"
    )
    log_in(page, "super.callers")
    page.goto("/audit/")
    wait_for_scripts(page)
    page.get_by_label("Actor (user name)").fill("csr.callers")
    page.get_by_label("Type").select_option("ADJUSTMENT_ADDED")
    page.get_by_label("From").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Show").click()
    rows = page.locator("[data-audit] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("csr.callers")
    rows.first.get_by_role("link", name=str(jane_cart), exact=False).click()
    expect(page).to_have_url(re.compile(rf"/orders/{today.order_id}/$"))


def test_alt_n_in_the_home_box_starts_an_order_for_the_one_caller_found(page, calls):
    from tests.customers.factories import CustomerFactory

    CustomerFactory(first_name="John", last_name="Roe", phone="+12135550100")
    log_in(page, "csr.callers")
    page.goto("/")
    wait_for_scripts(page)
    page.keyboard.press("/")
    page.keyboard.type("roe")
    expect(page.locator("[data-caller]")).to_have_count(2)
    page.keyboard.press("Alt+n")  # two callers: which one is not for the desk to guess
    expect(page.locator("#caller-q")).to_have_value("roe")
    expect(page).to_have_url(re.compile(r"/\?q=roe$"))

    page.keyboard.type(" john")
    expect(page.locator("[data-caller]")).to_have_count(1)
    page.keyboard.press("Alt+n")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator(".order-screen")).to_contain_text("John Roe")

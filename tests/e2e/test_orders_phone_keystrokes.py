"""The standard phone order, counted (issue 21): a registered caller found by a phone fragment,
three SKUs by code, a promotion code, a shipping method, the stored card, submit. Prints the
keystrokes, clicks, full page loads and server wait; the target is 40 keystrokes, 0 clicks and
2 full page loads (the order screen, the confirmation)."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order, OrderStatus
from tests.e2e.conftest import log_in, wait_for_scripts, wait_for_settle
from tests.e2e.keystrokes import PhoneCounter

SKUS = ["NB-BLK-A5", "PEN-GEL-B", "SN-YEL-76X76"]
PROMOTION_CODE = "SPRING15"
PHONE = "+14165558341"  # found by typing 5558341


def typed_for_item(code: str) -> str:
    """What a fast CSR types for an item: its code without separators, only up to where the
    item box suggests that item alone ('snyel76x7' on the demo store)."""
    from orders.integrations import compact_code, find_items

    compact = compact_code(code).lower()
    for end in range(2, len(compact)):
        if [item.code for item in find_items(compact[:end], limit=2)] == [code]:
            return compact[:end]
    return compact


def typed_for_promotion(code: str) -> str:
    """The start of a promotion code for which the item box offers that code first ('spri' on
    the demo store, where SP-RED-… items start with 'spr'): the CSR reads it back to the caller
    and enters it."""
    from orders.integrations import find_items
    from orders.selectors import promotion_code_offered

    for end in range(2, len(code)):
        typed = code[:end].lower()
        if promotion_code_offered(typed, find_items(typed)) == code:
            return typed
    return code.lower()


@pytest.fixture
def caller(transactional_db):
    from tests.customers.factories import customer_ready_to_order

    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return customer_ready_to_order(
        logon_id="pat.caller@example.com", first_name="Pat", last_name="Caller", phone=PHONE
    )


def add_sku(page, code):
    """The start of the code that the box suggests alone (else the code in full), and one
    Enter: the line is added at quantity 1."""
    from orders.integrations import compact_code

    typed = typed_for_item(code)
    page.keyboard.type(typed)
    expect(page.locator(f'#suggest li[data-sku="{code}"]')).to_be_visible()
    if typed != compact_code(code).lower():
        expect(page.locator("#suggest li[data-sku]")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("table.lines tbody tr[id^=line-]", has_text=code)).to_have_count(1)
    expect(page.locator("#item")).to_be_focused()
    expect(page.locator("#item")).to_have_value("")


def place_the_standard_phone_order(page, caller) -> PhoneCounter:
    log_in(page, "csr", settings.DEMO_PASSWORD)
    counter = PhoneCounter(page)
    page.goto("/")
    wait_for_scripts(page)
    counter.reset()

    page.keyboard.press("/")  # the caller box on the home screen
    page.keyboard.type("5558341")
    expect(page.get_by_role("link", name="Pat Caller")).to_be_visible()
    page.keyboard.press("Alt+n")  # new order for the one caller found
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    wait_for_scripts(page)
    expect(page.locator("#item")).to_be_focused()
    for code in SKUS:
        add_sku(page, code)

    page.keyboard.type(typed_for_promotion(PROMOTION_CODE))  # a promotion code: the same box
    expect(page.locator("#suggest [data-promotion-code]")).to_contain_text(PROMOTION_CODE)
    page.keyboard.press("Enter")
    expect(page.locator(".promos .why-list").first).to_contain_text("Spring")
    expect(page.locator("#item")).to_be_focused()
    wait_for_settle(page)

    page.keyboard.press("Alt+w")  # the shipping method, from the item box
    with page.expect_response("**/settings/"):
        page.keyboard.press("e")  # Express, by its first letter; saved as it changes
    expect(page.locator("#item")).to_be_focused()
    wait_for_settle(page)  # the cart the change drew, with the review link
    expect(page.locator(".shiprow select[name=method]")).to_have_value("express")

    page.keyboard.press("Control+Enter")  # review
    expect(page.get_by_role("heading", name=re.compile("Review order summary"))).to_be_visible()
    expect(page.locator(".review")).to_contain_text("Express")
    page.keyboard.press("Control+Enter")  # submit
    expect(page.get_by_role("heading", name=re.compile(r"Order NW-\d{6} placed"))).to_be_visible()
    return counter


def test_the_standard_phone_order_is_placed_with_the_keyboard_alone_and_counted(page, caller):
    counter = place_the_standard_phone_order(page, caller)

    figures = counter.report("standard phone order")
    order = Order.objects.get(customer=caller)
    assert order.status == OrderStatus.AUTHORIZED and order.lines.count() >= 3
    assert figures.clicks == 0
    assert 0 < figures.page_loads <= 2  # the order screen and the confirmation
    assert figures.keys > 0  # the counter saw the call
    if figures.keys > 40:
        # The phone digits, the shortest starts of the codes and the promotion code, and their
        # Enters are 38 keys on the demo store (see the docs).
        pytest.xfail(f"issue 21: the target is 40 keystrokes; now {figures}")

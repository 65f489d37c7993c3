"""A CSR on the phone: find the caller by a phone fragment and add an address, keyboard only;
create a customer, see the errors, fix them and save."""

from playwright.sync_api import expect

from core.roles import Role
from customers.models import Customer
from tests.customers.factories import AddressFactory, CustomerFactory
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts


def test_csr_finds_a_customer_by_phone_fragment_and_adds_an_address_keyboard_only(page, staff_user):
    staff_user("casey", Role.CSR)
    jane = CustomerFactory(
        first_name="Jane", last_name="Roe", logon_id="jroe", phone="+15550102233"
    )
    AddressFactory(
        customer=jane, nickname="Home", is_default_billing=True, is_default_shipping=True
    )
    for i in range(5):
        CustomerFactory(first_name="Other", last_name=f"Person{i}", phone=f"+1416555{i:04d}")
    log_in(page, "casey")

    page.keyboard.press("f")  # Find customer
    page.wait_for_url("**/customers/")
    box = page.get_by_role("searchbox", name="Search customers")
    expect(box).to_be_focused()
    page.keyboard.type("010-22")
    results = page.locator("#results [data-row]")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Roe, Jane")
    screenshot(page, "customers-find-phone-fragment")

    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Roe, Jane")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{jane.pk}/")
    expect(page.get_by_role("heading", name="Jane Roe")).to_be_visible()

    page.keyboard.press("a")  # Add address
    dialog = page.get_by_role("dialog", name="Add address")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Nickname")).to_be_focused()
    page.keyboard.type("Cottage")
    page.keyboard.press("Tab")  # first name: the customer's by default
    page.keyboard.press("Tab")  # last name
    for value in ["12 Lake Rd", "", "Huntsville", "ON", "p1h 1a1"]:
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    expect(dialog.get_by_label("Postal code / ZIP")).to_be_focused()
    screenshot(page, "customers-add-address-dialog")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status")).to_contain_text("Added address Cottage")
    row = page.locator("tr", has_text="Cottage")
    expect(row).to_contain_text("12 Lake Rd, Huntsville, ON, P1H 1A1 CA")
    expect(page.locator(".events")).to_contain_text("casey")
    screenshot(page, "customers-page")
    assert jane.addresses.count() == 2


def test_csr_creates_a_customer_sees_errors_fixes_them_and_saves(page, staff_user):
    staff_user("casey", Role.CSR)
    CustomerFactory(logon_id="jane.roe", first_name="Janet", last_name="Roe")
    log_in(page, "casey")
    page.goto("/customers/")
    expect(page.get_by_role("searchbox", name="Search customers")).to_be_focused()
    page.keyboard.type("Jane Zed")
    expect(page.get_by_text("No customer matches “Jane Zed”")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/new/**")
    expect(page.get_by_label("First name")).to_have_value("Jane")
    expect(page.get_by_label("Last name")).to_have_value("Zed")

    page.get_by_label("Logon ID").fill("jane.roe")
    page.get_by_label("Password").fill("password")
    page.get_by_label("E-mail").fill("jane@@example")
    page.get_by_label("Phone", exact=True).fill("555-01")
    page.get_by_label("Street address").fill("1 Main St")
    page.get_by_label("City").fill("Toronto")
    page.get_by_label("Postal code / ZIP").fill("M5V 2T6")
    page.get_by_label("Country").fill("Atlantis")
    page.keyboard.press("Control+Enter")

    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.get_by_text("The logon ID jane.roe is already taken")).to_be_visible()
    expect(page.get_by_text("This password is too common.")).to_be_visible()
    expect(page.get_by_text("is not an e-mail address")).to_be_visible()
    expect(page.get_by_text("wrong number of digits")).to_be_visible()
    expect(page.get_by_text("Atlantis is not a country we know")).to_be_visible()
    expect(page.get_by_label("Logon ID")).to_be_focused()
    wait_for_scripts(page)
    screenshot(page, "customers-create-errors")
    assert Customer.objects.count() == 1

    page.get_by_label("Logon ID").fill("jane.zed")
    page.get_by_label("Password").fill("Tangerine-Harbor-88")
    page.get_by_label("E-mail").fill("jane.zed@example.com")
    page.get_by_label("Phone", exact=True).fill("(555) 010-7788")
    page.get_by_label("Country").fill("CA")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name="Jane Zed")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Created Jane Zed (jane.zed)")
    screenshot(page, "customers-created")
    created = Customer.objects.get(logon_id="jane.zed")
    assert created.phone == "+15550107788"
    assert created.addresses.get().is_default_shipping

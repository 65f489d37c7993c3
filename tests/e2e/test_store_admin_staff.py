from playwright.sync_api import expect

from core.roles import Role
from tests.e2e.conftest import log_in, screenshot

NEW_PASSWORD = "Casey-desk-7731"


def test_the_store_admin_creates_a_csr_who_then_logs_in(page, staff_user):
    staff_user("sam", Role.STORE_ADMIN, is_staff=True)
    log_in(page, "sam")
    page.goto("/admin/")
    page.get_by_role("link", name="Staff users").click()
    page.get_by_role("link", name="Add staff user").click()
    page.get_by_label("Username").fill("casey")
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Lin")
    page.get_by_label("CSR", exact=True).check()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    screenshot(page, "admin-staff-add")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    expect(page.get_by_role("row", name="casey")).to_contain_text("CSR")

    page.context.clear_cookies()
    log_in(page, "casey", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Good to see you, Casey")).to_be_visible()
    expect(page.get_by_text("Signed in as CSR.")).to_be_visible()

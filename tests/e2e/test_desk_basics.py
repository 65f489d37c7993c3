from playwright.sync_api import expect

from core.roles import Role
from tests.e2e.conftest import log_in, screenshot


def test_an_anonymous_visit_to_a_desk_page_lands_on_the_login_page(page):
    page.goto("/")
    assert "/login/" in page.url
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("User name")).to_be_focused()
    screenshot(page, "login")


def test_a_csr_logs_in_opens_the_shortcuts_with_question_mark_and_logs_out(page, staff_user):
    staff_user("casey", Role.CSR)
    log_in(page, "casey")
    expect(page.get_by_role("heading", name="Good to see you, Casey")).to_be_visible()
    expect(page.get_by_text("Signed in as CSR.")).to_be_visible()
    screenshot(page, "home-csr")

    page.keyboard.press("?")
    overlay = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(overlay).to_be_visible()
    expect(overlay.get_by_text("Show this list")).to_be_visible()
    expect(overlay.get_by_role("cell", name="API docs")).to_be_visible()
    screenshot(page, "shortcuts-overlay")
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/")
    assert "/login/" in page.url


def test_a_wrong_password_is_told_plainly(page, staff_user):
    staff_user("casey", Role.CSR)
    log_in_page = page.goto("/login/")
    assert log_in_page.ok
    page.get_by_label("User name").fill("casey")
    page.get_by_label("Password").fill("wrong")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")

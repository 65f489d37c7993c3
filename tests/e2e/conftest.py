"""Real-browser tests: Playwright driving Debian's chromium against Django's live server."""

import contextlib
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django must allow ORM calls anyway.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "e2e-pass-9431"


def pytest_collection_modifyitems(items):
    # The hook sees the whole session's items, not only this folder's: mark only ours.
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(request, browser, live_server, transactional_db):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "call_failed", False):
        keep_what_the_browser_showed(page, request.node.name)
    let_requests_finish(page)
    context.close()


def let_requests_finish(page) -> None:
    """Until the page's htmx requests are answered. The live server answers in threads, and the
    test's database is flushed after the test: a request still running then (a key pressed
    last) deadlocked the flush's TRUNCATE."""
    from playwright.sync_api import Error

    # the page gone or never settling: nothing more to wait for
    with contextlib.suppress(Error):
        page.wait_for_function("!document.querySelector('.htmx-request')", timeout=5_000)


def keep_what_the_browser_showed(page, name: str) -> None:
    """A failed test leaves its last screen and DOM in var/screenshots/failed/, for flaky runs."""
    folder = SCREENSHOTS / "failed"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))
    # what was typed lives in properties, not attributes: copy it so the saved DOM shows it
    page.evaluate(
        "document.querySelectorAll('input, textarea').forEach(el =>"
        " el.setAttribute('value', el.value))"
    )
    (folder / f"{name}.html").write_text(page.content())


@pytest.fixture
def staff_user(django_user_model):
    """Make a staff user with a role, whose password is PASSWORD."""
    from django.contrib.auth.models import Group

    def make(username: str, role, **extra):
        user = django_user_model.objects.create_user(
            username=username, password=PASSWORD, first_name=username.title(), **extra
        )
        user.groups.add(Group.objects.get(name=role.value))
        return user

    return make


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    # not "**/": the log-in page's own address ends with a slash too
    page.wait_for_url(lambda url: "/login/" not in url)


def wait_for_scripts(page) -> None:
    """Wait until the page's deferred scripts (htmx, desk.js) have run, as they have by its load.

    A page shows its headings and fields before that; a shortcut key, Ctrl+Enter or ↓ pressed
    then does nothing, and Enter in an htmx form submits it as a plain GET.
    """
    page.wait_for_load_state("load")


def wait_for_settle(page) -> None:
    """Until htmx has swapped and wired what the last answer drew (no request, swap or settle
    under way): a key pressed earlier may reach a part of the screen not wired yet."""
    from playwright.sync_api import expect

    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def expect_panel_closed(page) -> None:
    """The order screen's panel has closed and the cursor is back in the item box.

    The dialog hides at once; its close event, which puts the cursor back, comes a task later
    (much later on a busy machine): a shortcut key pressed in between lands in the item box.
    """
    from playwright.sync_api import expect

    expect(page.locator("#panel")).to_be_hidden()
    expect(page.locator("#item")).to_be_focused()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def demo_guest_cart(first_name: str, last_name: str, email: str):
    """The demo store, and a CSR's guest cart shipping to Toronto by ground (no lines yet)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from orders import services
    from tests.orders.conftest import ADDRESS

    call_command("load_demo_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
    csr = get_user_model().objects.get(username="csr")
    guest = {"first_name": first_name, "last_name": last_name, "email": email}
    cart = services.cart_create(actor=csr, guest=guest)
    services.ship_to_add(actor=csr, order=cart, address=ADDRESS, shipping_method_code="ground")
    return cart

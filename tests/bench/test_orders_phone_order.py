"""The standard phone order (tests/e2e/test_orders_phone_keystrokes.py) on a large store: the
server wait a CSR hears, with 1,000,000 customers and 200,000 SKUs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_phone \\
    BENCH=1 .venv/bin/pytest tests/bench/test_orders_phone_order.py -s --reuse-db

Generates what is missing of BENCH_CUSTOMERS customers (default 1,000,000) and BENCH_SKUS SKUs
(default 200,000) once, committed, beside the demo store (its promotions, methods and users).
Then Debian's chromium places the order BENCH_CALLS times (default 7) against Django's server
under gunicorn (PostgreSQL, committed data: nothing is flushed), and prints per call the keys,
clicks, page loads and server wait (resource timing: request sent to first byte), with the
median and p95 of the server wait. Target: < 1.5 s of server wait per call. No assertions on
time."""

import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from catalog.models import SKU
from customers.models import Customer
from tests.e2e.conftest import browser  # noqa: F401 (the fixture: Debian's chromium)
from tests.e2e.test_orders_phone_keystrokes import PHONE, place_the_standard_phone_order

pytestmark = pytest.mark.postgres
CALLS = int(os.environ.get("BENCH_CALLS", 7))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
ID_IN_PATH = re.compile(r"/\d+/")


@pytest.fixture(scope="module")
def store(django_db_setup, django_db_blocker):
    from catalog.load_data import generate_skus
    from customers.load_data import generate_customers
    from tests.customers.factories import customer_ready_to_order

    customers = int(os.environ.get("BENCH_CUSTOMERS", 1_000_000))
    skus = int(os.environ.get("BENCH_SKUS", 200_000))
    with django_db_blocker.unblock():
        started = time.monotonic()
        call_command("load_demo_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
        _password_the_server_checks()
        if SKU.objects.count() < skus:
            generate_skus(skus - SKU.objects.count(), seed=2026)
        if Customer.objects.count() < customers:
            generate_customers(customers - Customer.objects.count(), seed=2026)
        caller = Customer.objects.filter(logon_id="pat.caller@example.com").first()
        if caller is None:
            caller = customer_ready_to_order(
                logon_id="pat.caller@example.com",
                first_name="Pat",
                last_name="Caller",
                phone=PHONE,
            )
        print(
            f"\n  store: {Customer.objects.count():,} customers, {SKU.objects.count():,} SKUs "
            f"(ready in {time.monotonic() - started:.0f} s)"
        )
        yield caller


@pytest.fixture
def server(store, django_db_blocker):
    """The app as deployed: gunicorn, two workers (one a core), DEBUG off, static files collected
    and served by WhiteNoise, on the benchmark's committed data. Not Django's test server in a
    thread of this process, whose requests would wait for Playwright's share of the GIL."""
    from django.db import connection

    with django_db_blocker.unblock():
        call_command("collectstatic", interactive=False, verbosity=0)
    db = connection.settings_dict
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    env.pop("REDIS_URL", None)  # tasks (the confirmation e-mail) run in the request, eagerly
    app = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/healthz"):
                break
            time.sleep(0.2)
        yield url
    finally:
        app.terminate()
        app.wait(timeout=30)


def _password_the_server_checks() -> None:
    """The CSR's demo password hashed as the app's settings check it (the test settings hash
    with MD5, which the app does not accept)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    encoded = hasher.encode(settings.DEMO_PASSWORD, hasher.salt())
    get_user_model().objects.filter(username="csr").update(password=encoded)


def _cancel_the_callers_orders(caller):
    """SPRING15 is once per customer: the next call may use it again once this order is gone
    (a cancel gives its use back), and no open order of the caller piles up on the home box.
    In a thread of its own: its own connection commits (the test's is inside a transaction)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from orders import services
    from orders.models import Order, OrderStatus

    def cancel():
        csr = get_user_model().objects.get(username="csr")
        open_orders = Order.objects.filter(customer=caller).exclude(
            status__in=[OrderStatus.CANCELED, OrderStatus.RELEASED, OrderStatus.SHIPPED]
        )
        for order in open_orders:
            services.cancel_order(actor=csr, order=order, reason="benchmark call over")
        connection.close()

    thread = threading.Thread(target=cancel)
    thread.start()
    thread.join()


# Not transactional: that would flush the generated store at the end. The calls are committed
# by the server thread's own connection.
@pytest.mark.django_db
def test_the_standard_phone_order_on_a_large_store(browser, server, store):  # noqa: F811
    figures, waits_by_request = [], {}
    _cancel_the_callers_orders(store)  # what an interrupted run left
    for _ in range(CALLS):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=server)
        context.set_default_timeout(30_000)
        page = context.new_page()
        counter = place_the_standard_phone_order(page, store)
        figures.append(counter.report("standard phone order"))
        for waited, method, path in counter.requests:
            where = method + " " + ID_IN_PATH.sub("/<id>/", path.split("?")[0])
            waits_by_request.setdefault(where, []).append(waited)
        context.close()
        _cancel_the_callers_orders(store)
    waits = sorted(f.server_ms for f in figures)
    p95 = waits[max(int(len(waits) * 0.95) - 1, 0)]
    print(
        f"\n  {CALLS} calls, {Customer.objects.count():,} customers, {SKU.objects.count():,} "
        f"SKUs (machine load {os.getloadavg()[0]:.1f}): keys {figures[-1].keys}, clicks "
        f"{figures[-1].clicks}, page loads {figures[-1].page_loads}; server wait median "
        f"{statistics.median(waits):.0f} ms, p95 {p95:.0f} ms (target < 1,500 ms)"
    )
    print("  server wait by request, summed over a call (mean of the calls):")
    for where, waits in sorted(waits_by_request.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {sum(waits) / CALLS:7.0f} ms  {len(waits) / CALLS:4.1f}×  {where}")
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

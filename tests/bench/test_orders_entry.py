"""Order entry benchmarks (BENCH=1; run on PostgreSQL, e.g. DATABASE_URL=.../h_orders).

Data: the demo store (catalog ~300 SKUs with prices, promotions, shipping, tax, inventory in
two centers), which is what a CSR session touches; the catalog size does not change these
paths (lines are added by SKU code). Prints median and p95 (wall time and this process's CPU
time, which a loaded shared machine distorts least); asserts no wall-clock limits.

1. Add a line to a 30-line cart over HTTP (the htmx view: claim, allocate, reprice, render).
   Target (issue 6): median < 40 ms.
2. Submit over HTTP (API, sandbox gateway). Target: median < 80 ms.
3. Orders per minute placed through the API by 8 concurrent simulated CSRs (threads, each
   with its own token and HTTP connection against the live server); zero errors.
"""

import json
import os
import statistics
import threading
import time
import urllib.request
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.postgres

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
CSRS = int(os.environ.get("BENCH_CSRS", "8"))
ORDERS_PER_CSR = int(os.environ.get("BENCH_ORDERS_PER_CSR", "10"))
ADDRESS = {
    "first_name": "Bench",
    "last_name": "Mark",
    "line1": "100 King St W",
    "city": "Toronto",
    "region": "ON",
    "postal_code": "M5H 1A1",
    "country": "CA",
}


def report(label, times, size):
    if not times:
        print(f"\n  {label}: no rounds completed")
        return
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"\n  {label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
        f"({len(times)} rounds; {size})"
    )


@pytest.fixture
def store(transactional_db):
    call_command("load_demo_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from catalog.models import SKU

    codes = [s.code for s in SKU.objects.order_by("code") if getattr(s, "is_buyable", True)]
    return codes


@pytest.fixture
def bench_csr(django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import Role

    def make(name):
        user = django_user_model.objects.create_user(username=name, password="pw-bench-1")
        user.groups.add(Group.objects.get(name=Role.CSR.value))
        return user

    return make


def ready_cart(actor, codes, lines):
    from orders import services

    cart = services.cart_create(actor=actor, guest={"last_name": "Mark", "email": "b@example.com"})
    services.ship_to_add(actor=actor, order=cart, address=ADDRESS, shipping_method_code="ground")
    for code in codes[:lines]:
        services.line_add(actor=actor, order=cart, sku_code=code, quantity=2)
    services.billing_address_set(actor=actor, order=cart, address=ADDRESS)
    services.payment_set_card(
        actor=actor,
        order=cart,
        card_number="4242424242424242",
        exp_month=12,
        exp_year=2035,
        cvv="123",
    )
    cart.refresh_from_db()
    return cart


def test_add_a_line_to_a_30_line_cart_over_http(store, bench_csr, client):
    from orders.models import Order, OrderLine

    actor = bench_csr("bench-add")
    client.force_login(actor)
    codes = [c for c in store if not c.startswith(("KIT-", "SVC-"))]
    cart = ready_cart(actor, codes, 30)
    assert cart.lines.filter(is_gift=False).count() == 30
    extra = codes[30 : 30 + ROUNDS]
    url = f"/orders/{cart.pk}/lines/"
    times, cpu = [], []
    for code in extra:
        version = Order.objects.get(pk=cart.pk).version
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.post(
            url, {"sku": code, "quantity": "1", "version": version}, HTTP_HX_REQUEST="true"
        )
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200 and b"msg-error" not in response.content
        line = OrderLine.objects.get(order=cart, sku__code=code, is_gift=False)
        from orders import services

        services.line_remove(actor=actor, order=cart, line_id=line.pk)
    report("add line to a 30-line cart (HTTP, htmx view)", times[3:], "30 lines, demo store")
    report("  of which app CPU (this process)", cpu[3:], "excludes PostgreSQL and waiting")


def test_submit_over_http(store, bench_csr, api_client):
    actor = bench_csr("bench-submit")
    api_client.force_authenticate(actor)
    codes = [c for c in store if not c.startswith(("KIT-", "SVC-"))]
    carts = [ready_cart(actor, codes[i * 3 :], 5) for i in range(ROUNDS)]
    times, cpu = [], []
    for cart in carts:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = api_client.post(
            f"/api/v1/carts/{cart.pk}/submit/",
            {"expected_total": str(cart.total)},
            format="json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 201, response.json()
    report("submit (HTTP API, sandbox gateway)", times[3:], "5-line carts, demo store")
    report("  of which app CPU (this process)", cpu[3:], "includes the eager confirmation e-mail")


class Api:
    def __init__(self, base, token):
        self.base = base
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None, **headers):
        req = urllib.request.Request(
            self.base + path,
            data=json.dumps(body or {}).encode(),
            method=method,
            headers={**self.headers, **headers},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def test_orders_per_minute_by_8_concurrent_csrs(store, bench_csr, live_server):
    from rest_framework.authtoken.models import Token

    codes = [c for c in store if not c.startswith(("KIT-", "SVC-"))]
    tokens = [Token.objects.create(user=bench_csr(f"bench-csr{i}")).key for i in range(CSRS)]
    errors, placed, durations = [], [], []
    barrier = threading.Barrier(CSRS)

    def csr_session(n, token):
        api = Api(live_server.url, token)
        try:
            barrier.wait()
            for k in range(ORDERS_PER_CSR):
                started = time.perf_counter()
                status, cart = api.call(
                    "POST",
                    "/api/v1/carts/",
                    {"guest": {"last_name": f"C{n}", "email": f"c{n}@example.com"}},
                )
                assert status == 201, cart
                cid = cart["id"]
                steps = [
                    ("POST", f"/api/v1/carts/{cid}/ship-tos/", {"address": ADDRESS}),
                    *[
                        ("POST", f"/api/v1/carts/{cid}/lines/", {"sku": code, "quantity": 1})
                        for code in codes[(n * 7 + k) % 50 :][:3]
                    ],
                    ("PUT", f"/api/v1/carts/{cid}/billing-address/", {"address": ADDRESS}),
                    (
                        "PUT",
                        f"/api/v1/carts/{cid}/payment/",
                        {
                            "card_number": "4242424242424242",
                            "exp_month": 12,
                            "exp_year": 2035,
                            "cvv": "123",
                        },
                    ),
                ]
                version = cart["version"]
                for method, path, body in steps:
                    status, data = api.call(method, path, {**body, "version": version})
                    assert status in (200, 201), (path, data)
                    version = data["version"]
                status, data = api.call(
                    "POST",
                    f"/api/v1/carts/{cid}/submit/",
                    {"accept_price_changes": True},
                    **{"Idempotency-Key": uuid.uuid4().hex},
                )
                assert status == 201 and data["placed"], data
                placed.append(data["order"]["number"])
                durations.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # collected and asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=csr_session, args=(n, t)) for n, t in enumerate(tokens)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    print(
        f"\n  {CSRS} concurrent CSRs: {len(placed)} orders in {elapsed:.1f} s = "
        f"{len(placed) / elapsed * 60:.0f} orders/min, {len(errors)} errors "
        f"(each order: create, ship-to, 3 lines, billing, card, submit = 8 requests)"
    )
    report("whole order through the API (per CSR)", durations, f"{CSRS} CSRs in parallel")
    for error in errors[:3]:
        print("  error:", error[:600])
    assert errors == []
    assert len(set(placed)) == CSRS * ORDERS_PER_CSR

"""Submit and add-line at the sizes of the performance issue (BENCH=1, PostgreSQL).

    BENCH=1 DATABASE_URL=postgres://... .venv/bin/pytest tests/bench/test_orders_sizes.py -s

Data made here: 2,100 priced SKUs with stock in one center, and 0, 500 or 2,000 active
promotions spread over them (product percentages, every other one limited, so its counter is
taken at submit; a tenth are order-level). Carts of 30 or 100 lines. For each size: median and
p95 of wall time and of this process's CPU time (what a loaded shared machine distorts least),
the query count of one run, and the load average when it ran. No wall-clock assertions.
"""

import os
import random
import statistics
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
SKUS = 2100
ADDRESS = {
    "first_name": "Bench",
    "last_name": "Mark",
    "line1": "100 King St W",
    "city": "Toronto",
    "region": "ON",
    "postal_code": "M5H 1A1",
    "country": "CA",
}


def stats(label, wall, cpu, queries, size):
    def p95(values):
        values = sorted(values)
        return values[max(0, int(len(values) * 0.95) - 1)]

    print(
        f"\n  {label} [{size}]: wall median {statistics.median(wall):.1f} ms, p95 {p95(wall):.1f}"
        f" | CPU median {statistics.median(cpu):.1f} ms, p95 {p95(cpu):.1f} | {queries} queries"
        f" | {len(wall)} rounds, load {os.getloadavg()[0]:.1f}"
    )


def store(promotions: int):
    """SKUs, prices, stock and promotions; returns the SKU codes, cart SKUs first."""
    from catalog.models import SKU
    from fulfillment.models import FulfillmentCenter, Inventory
    from pricing import models as pm
    from pricing.loader import bump_rules_version
    from tests.catalog.factories import ProductFactory
    from tests.fulfillment.factories import ArrangementFactory, CenterFactory

    product = ProductFactory(name="Bench item")
    skus = SKU.objects.bulk_create(
        SKU(code=f"BN-{i:05d}", product=product, name=f"Bench item {i}") for i in range(SKUS)
    )
    base = pm.PriceList.objects.create(name="Base", currency="CAD", kind=pm.PriceList.Kind.BASE)
    pm.PriceListEntry.objects.bulk_create(
        pm.PriceListEntry(price_list=base, sku=s, min_quantity=1, price=Decimal("10.00"))
        for s in skus
    )
    center = FulfillmentCenter.objects.first() or CenterFactory()
    ArrangementFactory(center=center, shipping_method=pm.ShippingMethod.objects.get(code="ground"))
    Inventory.objects.bulk_create(Inventory(sku=s, center=center, on_hand=100_000) for s in skus)
    rng = random.Random(20)
    for i in range(promotions):
        order_level = i % 10 == 0
        promo = pm.Promotion.objects.create(
            name=f"Bench promotion {i}",
            reward=pm.Reward.ORDER_PERCENT if order_level else pm.Reward.PRODUCT_PERCENT,
            percent=Decimal("1"),
            limit_overall=1_000_000 if i % 2 else None,
            priority=i,
        )
        if not order_level:
            promo.skus.set(rng.sample(skus, 3))
    bump_rules_version()
    return [s.code for s in skus]


def cart_of(actor, source):
    """A ready cart with the lines of `source` (reorder: one allocation pass)."""
    from orders import services

    cart = services.reorder(actor=actor, order=source)
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


def first_cart(actor, codes, lines):
    from orders import services

    cart = services.cart_create(actor=actor, guest={"last_name": "Mark", "email": "b@example.com"})
    services.ship_to_add(actor=actor, order=cart, address=ADDRESS, shipping_method_code="ground")
    for code in codes[:lines]:
        services.line_add(actor=actor, order=cart, sku_code=code)
    services.billing_address_set(actor=actor, order=cart, address=ADDRESS)
    return cart


@pytest.fixture
def csr(django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import Role
    from pricing.models import ShippingMethod

    ShippingMethod.objects.get_or_create(code="ground", defaults={"name": "Ground"})
    user = django_user_model.objects.create_user(username="bench", password="pw-bench-1")
    user.groups.add(Group.objects.get(name=Role.CSR.value))
    return user


@pytest.mark.parametrize("promotions", [0, 500, 2000])
@pytest.mark.parametrize("lines", [30, 100])
def test_submit(csr, lines, promotions, monkeypatch):
    from orders import services, tasks

    # The confirmation e-mail is queued, as with a worker (not sent inside the measured call).
    monkeypatch.setattr(tasks.send_order_confirmation, "delay", lambda *args, **kwargs: None)

    codes = store(promotions)
    source = first_cart(csr, codes, lines)
    carts = [cart_of(csr, source) for _ in range(ROUNDS + 2)]
    wall, cpu, queries = [], [], 0
    for n, cart in enumerate(carts):
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = services.submit_order(
                actor=csr, order=cart, idempotency_key=uuid.uuid4().hex, expected_total=cart.total
            )
            elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        assert result.placed, result.message
        if n >= 2:  # the first two warm the rules cache and the connection
            wall.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
            queries = len(ctx.captured_queries)
    stats("submit", wall, cpu, queries, f"{lines} lines, {promotions} promotions")


@pytest.mark.parametrize("promotions", [0, 500, 2000])
def test_add_a_line_over_http(csr, client, promotions):
    from orders import services
    from orders.models import Order, OrderLine

    codes = store(promotions)
    cart = first_cart(csr, codes, 30)
    client.force_login(csr)
    wall, cpu, queries = [], [], 0
    for n, code in enumerate(codes[30 : 30 + ROUNDS + 2]):
        version = Order.objects.get(pk=cart.pk).version
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.post(
                f"/orders/{cart.pk}/lines/",
                {"sku": code, "quantity": "1", "version": version},
                HTTP_HX_REQUEST="true",
            )
            elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        assert response.status_code == 200 and b"msg-error" not in response.content
        if n >= 2:
            wall.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
            queries = len(ctx.captured_queries)
        line = OrderLine.objects.get(order=cart, sku__code=code, is_gift=False)
        services.line_remove(actor=csr, order=cart, line_id=line.pk)
    stats("add a line (HTTP, htmx)", wall, cpu, queries, f"30-line cart, {promotions} promotions")

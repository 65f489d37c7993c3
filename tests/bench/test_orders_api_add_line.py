"""Add a line through the API, in process, on the demo store (BENCH=1, PostgreSQL): what one of
`make load`'s 50 CSRs asks most, without the HTTP server and the other CSRs around it.

    BENCH=1 DATABASE_URL=postgres://... .venv/bin/pytest tests/bench/test_orders_api_add_line.py -s

Data: the demo store (`load_demo_data`). 30 carts of registered customers, 5 SKUs each, picked
at random (seeded) from the orderable ones, as the locust file does; the first 3 carts warm the
caches and the connection. Prints median and p95 of wall and process CPU time and the query
count, with the load average. No wall-clock assertions.
"""

import os
import random
import statistics
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CARTS, LINES, WARM = 30, 5, 3


def _p95(values):
    values = sorted(values)
    return values[max(0, int(len(values) * 0.95) - 1)]


def test_add_a_line_through_the_api(django_user_model):
    from django.contrib.auth.models import Group
    from rest_framework.test import APIClient

    from catalog.models import SKU
    from core.roles import Role
    from customers.models import Customer

    call_command("load_demo_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
    csr = django_user_model.objects.create_user(username="bench-api", password="pw-bench-api-1")
    csr.groups.add(Group.objects.get(name=Role.CSR.value))
    api = APIClient()
    api.force_authenticate(csr)
    skus = list(
        SKU.objects.filter(product__state="available")
        .exclude(code__startswith="KIT-")
        .exclude(code__startswith="SVC-")
        .values_list("code", flat=True)[:200]
    )
    customers = list(Customer.objects.values_list("pk", flat=True))
    rng = random.Random(21)
    wall, cpu, queries = [], [], set()
    for n in range(CARTS):
        cart = api.post("/api/v1/carts/", {"customer_id": rng.choice(customers)}, format="json")
        cart_id, version = cart.json()["id"], cart.json()["version"]
        for code in rng.sample(skus, LINES):
            with CaptureQueriesContext(connection) as ctx:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = api.post(
                    f"/api/v1/carts/{cart_id}/lines/",
                    {"sku": code, "version": version},
                    format="json",
                )
                elapsed = time.perf_counter() - started
                elapsed_cpu = time.process_time() - started_cpu
            assert response.status_code == 201, response.content
            version = response.json()["version"]
            if n >= WARM:
                wall.append(elapsed * 1000)
                cpu.append(elapsed_cpu * 1000)
                queries.add(len(ctx.captured_queries))
    print(
        f"\n  API add line [demo store, {LINES}-line carts]: wall median"
        f" {statistics.median(wall):.1f} ms, p95 {_p95(wall):.1f} | CPU median"
        f" {statistics.median(cpu):.1f} ms, p95 {_p95(cpu):.1f} | {sorted(queries)} queries"
        f" | {len(wall)} adds, load {os.getloadavg()[0]:.1f}"
    )

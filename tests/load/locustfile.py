"""Load test: 50 CSRs placing orders through the API (`make load`; not part of `make test`).

Each simulated CSR finds a customer, opens a cart, adds 5 lines, enters a promotion code, sets
the ship-to, billing and card, and submits, pausing between steps as a CSR does (LOAD_PAUSE).
Run by tests/load/run, which starts gunicorn, a Celery worker, the demo data and the CSR tokens;
the figures are locust's per-request table.

Only ever against 127.0.0.1: the sandbox gateway and demo data live there, a real store does not.
"""

import contextlib
import itertools
import os
import random
import uuid
from pathlib import Path
from urllib.parse import urlparse

from locust import HttpUser, between, events, task

TOKENS = Path(os.environ.get("LOAD_TOKENS", "var/load/tokens.txt"))
LOGONS = Path(os.environ.get("LOAD_LOGONS", "var/load/logons.txt"))  # customers to find
SKUS = Path(os.environ.get("LOAD_SKUS", "var/load/skus.txt"))  # orderable SKU codes
CODE = os.environ.get("LOAD_CODE", "LOAD10")
ADDRESS = {
    "first_name": "Load",
    "last_name": "Tester",
    "line1": "100 King St W",
    "city": "Toronto",
    "region": "ON",
    "postal_code": "M5H 1A1",
    "country": "CA",
}
SPAWNED = itertools.count()  # each simulated CSR logs in with its own token
# Seconds a CSR spends between two requests: listening to the caller, typing the next SKU,
# reading the screen. A real order takes minutes on the phone; 2 to 6 s a step is a fast CSR
# (an order in about 45 s). LOAD_PAUSE=0,0 sends the next request at once: the capacity run.
PAUSE = tuple(float(s) for s in os.environ.get("LOAD_PAUSE", "2,6").split(","))
CARD = {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvv": "123"}


@events.test_start.add_listener
def only_against_this_machine(environment, **kwargs):
    if urlparse(environment.host or "").hostname != "127.0.0.1":
        raise SystemExit(f"refusing to load {environment.host!r}: only http://127.0.0.1:<port>")


class CSR(HttpUser):
    wait_time = between(*PAUSE)

    def on_start(self):
        tokens = TOKENS.read_text().split()
        self.client.headers["Authorization"] = f"Token {tokens[next(SPAWNED) % len(tokens)]}"
        self.logons = LOGONS.read_text().split()
        self.skus = SKUS.read_text().split()

    def _write(self, method, path, name, version, body=None, expect=(200, 201)):
        self.wait()
        with self.client.request(
            method, path, json={**(body or {}), "version": version}, name=name, catch_response=True
        ) as response:
            if response.status_code not in expect:
                response.failure(f"{response.status_code} {response.text[:200]}")
                raise StopOrder
            return response.json()

    @task
    def place_an_order(self):
        with contextlib.suppress(StopOrder):
            self._place()

    def _place(self):
        found = self.client.get(
            f"/api/v1/customers/?q={random.choice(self.logons)}", name="find customer"
        ).json()["results"]
        if not found:
            return
        self.wait()
        with self.client.post(
            "/api/v1/carts/",
            json={"customer_id": found[0]["id"]},
            name="create cart",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code} {response.text[:200]}")
                return
            cart = response.json()
        base = f"/api/v1/carts/{cart['id']}"
        version = cart["version"]
        for sku in random.sample(self.skus, 5):
            version = self._write("POST", f"{base}/lines/", "add line", version, {"sku": sku})[
                "version"
            ]
        version = self._write("POST", f"{base}/codes/", "enter code", version, {"code": CODE})[
            "version"
        ]
        body = {"address": ADDRESS, "shipping_method": "ground", "assign_lines": True}
        version = self._write("POST", f"{base}/ship-tos/", "ship-to", version, body)["version"]
        version = self._write(
            "PUT", f"{base}/billing-address/", "billing address", version, {"address": ADDRESS}
        )["version"]
        cart = self._write("PUT", f"{base}/payment/", "payment", version, CARD)
        self.wait()
        with self.client.post(
            f"{base}/submit/",
            json={"expected_total": cart["total"]},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="submit",
            catch_response=True,
        ) as response:
            if response.status_code != 201 or not response.json()["placed"]:
                response.failure(f"{response.status_code} {response.text[:200]}")


class StopOrder(Exception):
    """A step failed (already recorded); this CSR starts the next order."""

"""API of changes after submit and holds (issue 16)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.events import EventType as E
from orders.models import LineInventoryStatus, OrderEvent, OrderHold
from tests.orders.test_changes import center, place  # noqa: F401 (fixture)


def client_for(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def order(guest_cart, csr, sku, center):  # noqa: F811
    return place(guest_cart, csr, sku)


def test_change_then_versions_with_diff_and_delta(order, csr, sku2):
    api = client_for(csr)
    line = order.lines.get()
    r = api.post(
        f"/api/v1/orders/{order.pk}/change/",
        {
            "version": order.version,
            "quantities": {str(line.pk): 4},
            "add": [{"sku": sku2.code, "quantity": 1}],
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["number"] == order.number and body["version"]["number"] == 2
    assert Decimal(body["version"]["delta"]) > 0
    assert body["version"]["diff"]["changed"][0]["quantity"] == [2, 4]
    assert len(body["version"]["diff"]["added"]) == 1
    assert body["held_for"] == ""  # a guest order: no account, no credit limit
    # the same (old) version again: 409 with the current one, nothing changed
    again = api.post(
        f"/api/v1/orders/{order.pk}/change/",
        {"version": order.version, "quantities": {str(line.pk): 9}},
        format="json",
    )
    assert again.status_code == 409 and again.json()["version"] == body["order_version"]
    versions = api.get(f"/api/v1/orders/{order.pk}/versions/").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["diff"]["delta"] == "0.00"
    assert versions[1]["diff"]["delta"] == body["version"]["delta"]


def test_line_cancel_and_a_declined_increase(guest_cart, csr, sku, sku2, center):  # noqa: F811
    order = place(guest_cart, csr, sku, card="4000000000000341")
    api = client_for(csr)
    line = order.lines.get()
    r = api.post(
        f"/api/v1/orders/{order.pk}/change/",
        {"version": order.version, "quantities": {str(line.pk): 8}},
        format="json",
    )
    assert r.status_code == 402 and "not changed" in r.json()["message"]
    r = api.post(
        f"/api/v1/orders/{order.pk}/change/",
        {"version": order.version, "add": [{"sku": sku2.code, "quantity": 1}]},
        format="json",
    )
    assert r.status_code == 402
    line.refresh_from_db()
    assert line.quantity == 2


def test_cancel_a_line(order, csr, sku2):
    api = client_for(csr)
    r = api.post(
        f"/api/v1/orders/{order.pk}/change/",
        {"version": order.version, "add": [{"sku": sku2.code, "quantity": 1}]},
        format="json",
    )
    line = order.lines.get(sku=sku2)
    r = api.post(
        f"/api/v1/orders/{order.pk}/lines/{line.pk}/cancel/",
        {"version": r.json()["order_version"]},
        format="json",
    )
    assert r.status_code == 200, r.json()
    line.refresh_from_db()
    assert line.inventory_status == LineInventoryStatus.CANCELED
    assert OrderEvent.objects.filter(order=order, event_type=E.ORDER_LINE_CANCELED).exists()


def test_roles_on_change_and_holds(order, csr, supervisor, nobody):
    line = order.lines.get()
    r = client_for(nobody).post(
        f"/api/v1/orders/{order.pk}/change/",
        {"version": order.version, "quantities": {str(line.pk): 3}},
        format="json",
    )
    assert r.status_code == 403
    r = client_for(csr).post(
        f"/api/v1/orders/{order.pk}/holds/", {"reason": "call back first"}, format="json"
    )
    assert r.status_code == 201 and r.json()["type"] == "manual"
    hold_id = r.json()["id"]
    assert client_for(csr).get("/api/v1/holds/").status_code == 403
    assert client_for(csr).post(f"/api/v1/holds/{hold_id}/release/").status_code == 403
    queue = client_for(supervisor).get("/api/v1/holds/?type=manual").json()
    assert [h["id"] for h in queue] == [hold_id]
    assert client_for(supervisor).get("/api/v1/holds/?type=fraud").json() == []
    r = client_for(supervisor).post(f"/api/v1/holds/{hold_id}/release/", {"note": "ok"})
    assert r.status_code == 200 and r.json()["resolution"] == "released"
    assert not OrderHold.objects.filter(released_at__isnull=True).exists()
    r = client_for(supervisor).post(f"/api/v1/holds/{hold_id}/release/")
    assert r.status_code == 400


def test_cancel_the_held_order(order, csr, supervisor):
    r = client_for(csr).post(
        f"/api/v1/orders/{order.pk}/holds/", {"type": "fraud", "reason": "odd"}, format="json"
    )
    hold_id = r.json()["id"]
    r = client_for(supervisor).post(f"/api/v1/holds/{hold_id}/cancel-order/", {"note": "fraud"})
    assert r.status_code == 200 and r.json()["resolution"] == "canceled"
    order.refresh_from_db()
    assert order.status == "canceled"


def test_lists_take_a_fixed_number_of_queries(
    order, csr, supervisor, django_assert_max_num_queries
):
    api = client_for(csr)
    for qty in (3, 4, 5):
        order.refresh_from_db()
        api.post(
            f"/api/v1/orders/{order.pk}/change/",
            {"version": order.version, "quantities": {str(order.lines.get().pk): qty}},
            format="json",
        )
        api.post(f"/api/v1/orders/{order.pk}/holds/", {"reason": f"r{qty}"}, format="json")
    with django_assert_max_num_queries(6):
        versions = api.get(f"/api/v1/orders/{order.pk}/versions/")
    assert len(versions.json()) == 4
    with django_assert_max_num_queries(6):
        queue = client_for(supervisor).get("/api/v1/holds/")
    assert len(queue.json()) == 3

"""Screens of changes after submit and holds (issue 16)."""

import pytest

from orders.models import OrderHold, OrderVersion
from orders.services.holds import hold_place
from tests.orders.test_changes import center, place  # noqa: F401 (fixture)


@pytest.fixture
def order(guest_cart, csr, sku, center):  # noqa: F811
    return place(guest_cart, csr, sku)


def test_the_changes_panel_shows_versions_and_holds(
    client, csr, order, django_assert_max_num_queries
):
    client.force_login(csr)
    hold_place(actor=csr, order=order, reason="call back")
    with django_assert_max_num_queries(12):
        r = client.get(f"/orders/{order.pk}/changes/")
    body = r.content.decode()
    assert r.status_code == 200 and "Version 1" in body and "call back" in body
    assert "Change order" in body and 'data-key="E"' in body
    assert "kept from the original order" in body


def test_change_mode_saves_a_new_version_and_a_stale_form_is_told(client, csr, order):
    client.force_login(csr)
    line = order.lines.get()
    form = client.get(f"/orders/{order.pk}/change/").content.decode()
    assert f'name="qty_{line.pk}"' in form
    data = {"version": order.version, f"qty_{line.pk}": "3", "reason": "customer called"}
    r = client.post(f"/orders/{order.pk}/change/submit/", data, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == f"/orders/{order.pk}/"
    assert OrderVersion.objects.filter(order=order).count() == 2
    r = client.post(f"/orders/{order.pk}/change/submit/", {**data, f"qty_{line.pk}": "6"})
    assert "changed since you opened it" in r.content.decode()
    line.refresh_from_db()
    assert line.quantity == 3


def test_the_hold_queue_is_for_supervisors_who_release_from_it(
    client, csr, supervisor, order, django_assert_max_num_queries
):
    hold = hold_place(actor=csr, order=order, reason="check the address")
    client.force_login(csr)
    assert client.get("/orders/holds/").status_code == 403
    assert client.post(f"/orders/holds/{hold.pk}/decide/", {"action": "release"}).status_code == 403
    client.force_login(supervisor)
    with django_assert_max_num_queries(8):
        r = client.get("/orders/holds/?type=manual")
    assert order.number in r.content.decode()
    r = client.post(f"/orders/holds/{hold.pk}/decide/", {"action": "release", "note": "ok"})
    assert r.status_code == 302
    hold.refresh_from_db()
    assert hold.resolution == OrderHold.Resolution.RELEASED and hold.released_by == supervisor


def test_change_mode_changes_the_shipping_method(client, csr, order, express, center):  # noqa: F811
    from tests.fulfillment.factories import ArrangementFactory

    ArrangementFactory(center=center, shipping_method=express, precedence=1)
    client.force_login(csr)
    form = client.get(f"/orders/{order.pk}/change/").content.decode()
    assert 'name="shipping_method"' in form and "Express" in form
    data = {"version": order.version, "shipping_method": "express", "atp_choice": order.atp_choice}
    r = client.post(f"/orders/{order.pk}/change/submit/", data)
    assert r.status_code == 302, r.content.decode()
    v2 = OrderVersion.objects.get(order=order, number=2)
    ship_to = next(iter(v2.header["ship_tos"].values()))
    assert ship_to["shipping_method"] == "Express"
    assert order.lines.get().inventory_status == "allocated"

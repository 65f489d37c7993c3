"""The Inventory screen (operations)."""

import pytest

from fulfillment.models import Inventory
from tests.fulfillment.factories import expect, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client, operations):
    client.force_login(operations)
    return client


def test_screen_lists_filters_and_needs_operations(
    ops, csr, tor, sku, django_assert_max_num_queries
):
    from django.test import Client

    stock(sku, tor, 1)
    other = Client()
    other.force_login(csr)
    assert other.get("/fulfillment/").status_code == 403
    page = ops.get("/fulfillment/")
    assert page.status_code == 200 and sku.code in page.content.decode()
    with django_assert_max_num_queries(10):
        partial = ops.get("/fulfillment/", {"q": "zzz"}, HTTP_HX_REQUEST="true")
    assert "No inventory matches" in partial.content.decode()
    assert sku.code in ops.get("/fulfillment/", {"low": "1"}).content.decode()


def test_adjust_and_receive_from_the_screen(ops, tor, sku):
    stock(sku, tor, 1)
    response = ops.post(
        "/fulfillment/adjust/",
        {"sku": sku.code, "center": "TOR", "quantity": "-5", "reason": "lost"},
        follow=True,
    )
    assert "Nothing changed" in response.content.decode()
    ops.post(
        "/fulfillment/adjust/",
        {"sku": sku.code, "center": "TOR", "quantity": "4", "reason": "found"},
    )
    assert Inventory.objects.get(sku=sku).on_hand == 5
    exp = expect(sku, tor, 3)
    response = ops.post(f"/fulfillment/expected/{exp.pk}/receive/", {"quantity": "3"}, follow=True)
    assert "Received 3" in response.content.decode()
    assert Inventory.objects.get(sku=sku).on_hand == 8
    response = ops.post("/fulfillment/sweep/", follow=True)
    assert "0 cart lines released" in response.content.decode()

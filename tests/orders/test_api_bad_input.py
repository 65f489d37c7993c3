"""Bad input to the carts and orders API is a 4xx with the error body, never a 500."""

import json

import pytest

from orders.models import Order
from tests.orders.conftest import ADDRESS


@pytest.fixture
def api(api_client, csr):
    api_client.force_authenticate(csr)
    return api_client


@pytest.fixture
def cart(api):
    return api.post("/api/v1/carts/", {"guest": {"last_name": "Guest"}}).json()


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/carts/abc/"),
        ("post", "/api/v1/carts/abc/lines/"),
        ("patch", "/api/v1/carts/abc/lines/1/"),
        ("put", "/api/v1/carts/null,null/payment/"),
        ("get", "/api/v1/orders/abc/"),
    ],
)
def test_a_non_integer_id_is_404(api, method, path):
    r = getattr(api, method)(path, {})
    assert r.status_code == 404


@pytest.mark.parametrize(
    "field, value",
    [("postal_code", "9" * 500), ("phone", "5" * 500), ("city", "x" * 5000), ("line1", "y" * 201)],
)
def test_an_over_long_address_field_is_a_field_error(api, cart, field, value):
    r = api.post(
        f"/api/v1/carts/{cart['id']}/ship-tos/",
        {"version": cart["version"], "address": {**ADDRESS, field: value}},
    )
    assert r.status_code == 400
    assert list(r.json()["fields"]["address"]) == [field]


def test_a_country_the_store_does_not_ship_to_is_a_field_error(api, cart):
    r = api.post(
        f"/api/v1/carts/{cart['id']}/ship-tos/",
        {"version": cart["version"], "address": {**ADDRESS, "country": "ZZ"}},
    )
    assert r.status_code == 400
    assert r.json()["fields"]["address"]["country"] == ["The store ships to CA, US only."]


@pytest.mark.parametrize("exp_year", [32768, 99999, 1999])
def test_an_expiry_year_out_of_range_is_a_field_error(api, cart, exp_year):
    r = api.put(
        f"/api/v1/carts/{cart['id']}/payment/",
        {
            "version": cart["version"],
            "card_number": "4242424242424242",
            "exp_month": 12,
            "exp_year": exp_year,
            "cvv": "123",
        },
    )
    assert r.status_code == 400 and list(r.json()["fields"]) == ["exp_year"]


def test_a_nul_character_in_the_order_search_is_400(api):
    r = api.get("/api/v1/orders/?q=%00")
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_a_json_body_nested_100000_deep_is_400(api, cart):
    body = "[" * 100_000 + "]" * 100_000
    r = api.post(f"/api/v1/carts/{cart['id']}/lines/", data=body, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "parse_error"


# --- version on every cart write --------------------------------------------------------------


def test_a_write_without_a_version_is_refused(api, cart, sku):
    r = api.post(f"/api/v1/carts/{cart['id']}/lines/", {"sku": sku.code})
    assert r.status_code == 400 and list(r.json()["fields"]) == ["version"]
    assert not Order.objects.get(pk=cart["id"]).lines.exists()


@pytest.mark.parametrize("query", ["", "?version=abc", "?version=-1"])
def test_a_line_delete_without_a_valid_version_deletes_nothing(api, cart, sku, query):
    r = api.post(f"/api/v1/carts/{cart['id']}/lines/", {"sku": sku.code, "version": 1})
    assert r.status_code == 201, r.json()
    line_id = r.json()["lines"][0]["id"]
    r = api.delete(f"/api/v1/carts/{cart['id']}/lines/{line_id}/{query}")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["version"]
    assert Order.objects.get(pk=cart["id"]).lines.count() == 1


def test_a_line_delete_with_a_stale_version_is_409(api, cart, sku):
    added = api.post(f"/api/v1/carts/{cart['id']}/lines/", {"sku": sku.code, "version": 1})
    line_id = added.json()["lines"][0]["id"]
    r = api.delete(f"/api/v1/carts/{cart['id']}/lines/{line_id}/?version=1")
    assert r.status_code == 409
    r = api.delete(f"/api/v1/carts/{cart['id']}/lines/{line_id}/?version={added.json()['version']}")
    assert r.status_code == 200 and r.json()["lines"] == []


def test_a_code_removal_needs_the_version(api, cart):
    r = api.delete(f"/api/v1/carts/{cart['id']}/codes/SPRING15/")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["version"]


def test_the_error_body_of_bad_json(api, cart):
    r = api.post(f"/api/v1/carts/{cart['id']}/lines/", data="{", content_type="application/json")
    assert r.status_code == 400
    assert set(json.loads(r.content)) == {"message", "code", "fields"}

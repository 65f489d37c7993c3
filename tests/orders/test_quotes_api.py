"""The quotes API: create from a cart, list/detail, convert (locked and after expiry), copy,
cancel, the supervisors' report, role checks and the OpenAPI schema."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Quote
from tests.orders.conftest import make_ready

# The quotes tests' fixtures: prices, a center with stock.
from tests.orders.test_quotes import prices, stocked, toronto  # noqa: F401


@pytest.fixture
def api(api_client, csr):
    api_client.force_authenticate(csr)
    return api_client


@pytest.fixture
def cart(csr, sku, prices, stocked):  # noqa: F811
    from orders import services

    cart = services.cart_create(actor=csr, guest={"last_name": "Gail", "email": "g@example.com"})
    return make_ready(cart, csr, sku, qty=2)


def test_create_list_detail_and_convert(api, cart, django_assert_max_num_queries):
    r = api.post("/api/v1/quotes/", {"cart_id": cart.pk, "days": 3, "version": cart.version})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["number"].startswith("Q-") and body["status"] == "open"
    assert body["lines"][0]["held"] == 2 and body["total"] == str(cart.total)
    qid = body["id"]
    with django_assert_max_num_queries(6):
        r = api.get("/api/v1/quotes/?status=open")
    assert [q["id"] for q in r.json()["results"]] == [qid]
    assert api.get(f"/api/v1/quotes/{qid}/").json()["time_left"].startswith("2 d")
    r = api.post(f"/api/v1/quotes/{qid}/convert/", {}, HTTP_IDEMPOTENCY_KEY="api-conv-1")
    assert r.status_code == 201, r.json()
    assert r.json()["placed"] and r.json()["total"] == str(cart.total)
    r = api.post(f"/api/v1/quotes/{qid}/convert/", {}, HTTP_IDEMPOTENCY_KEY="api-conv-1")
    assert r.status_code == 200 and r.json()["repeated"]
    assert api.post(f"/api/v1/quotes/{qid}/cancel/", {}).status_code == 409


def test_an_expired_quote_answers_409_with_the_diff_then_converts_confirmed(api, cart):
    from pricing.loader import bump_rules_version
    from pricing.models import PriceListEntry

    qid = api.post("/api/v1/quotes/", {"cart_id": cart.pk}).json()["id"]
    PriceListEntry.objects.update(price=Decimal("13.00"))
    bump_rules_version()
    Quote.objects.filter(pk=qid).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    r = api.post(f"/api/v1/quotes/{qid}/convert/", {}, HTTP_IDEMPOTENCY_KEY="late")
    assert r.status_code == 409 and r.json()["code"] == "quote_repriced"
    assert any("12.00 → 13.00: +2.00" in d for d in r.json()["diff"])
    total = r.json()["total"]
    r = api.post(
        f"/api/v1/quotes/{qid}/convert/", {"confirmed_total": total}, HTTP_IDEMPOTENCY_KEY="late2"
    )
    assert r.status_code == 201 and r.json()["total"] == total


def test_copy_cancel_and_bad_input(api, cart):
    assert api.post("/api/v1/quotes/", {"cart_id": 999999}).status_code == 404
    assert api.post("/api/v1/quotes/", {"cart_id": cart.pk, "days": 40}).status_code == 400
    assert api.post("/api/v1/quotes/", {"cart_id": cart.pk, "version": 1}).status_code == 409
    # a version no cart can have (beyond the column's range) is stale too, not a server error
    assert api.post("/api/v1/quotes/", {"cart_id": cart.pk, "version": 2**45}).status_code == 409
    qid = api.post("/api/v1/quotes/", {"cart_id": cart.pk}).json()["id"]
    r = api.post(f"/api/v1/quotes/{qid}/copy/")
    assert r.status_code == 201 and r.json()["cart_id"] != cart.pk
    r = api.post(f"/api/v1/quotes/{qid}/cancel/", {"reason": "no"})
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    assert api.get("/api/v1/quotes/abc/").status_code == 404
    assert api.get("/api/v1/quotes/?status=nope").status_code == 400


def test_the_report_is_for_supervisors(api, api_client, cart, supervisor):
    api.post("/api/v1/quotes/", {"cart_id": cart.pk})
    assert api.get("/api/v1/quotes/report/").status_code == 403
    api_client.force_authenticate(supervisor)
    r = api_client.get("/api/v1/quotes/report/")
    assert r.status_code == 200 and r.json()["count"] == 1
    assert r.json()["value"] == str(cart.total)


def test_anonymous_is_refused(api_client, cart):
    assert api_client.get("/api/v1/quotes/").status_code in (401, 403)


def test_the_schema_documents_every_status(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    convert = schema["paths"]["/api/v1/quotes/{id}/convert/"]["post"]["responses"]
    assert {"200", "201", "202", "400", "402", "403", "404", "409"} <= set(convert)
    assert "/api/v1/quotes/report/" in schema["paths"]


def test_extend_within_the_limit(api, cart):
    qid = api.post("/api/v1/quotes/", {"cart_id": cart.pk, "days": 2}).json()["id"]
    assert api.post(f"/api/v1/quotes/{qid}/extend/", {"days": 15}).status_code == 400
    r = api.post(f"/api/v1/quotes/{qid}/extend/", {"days": 10})
    assert r.status_code == 200 and r.json()["time_left"].startswith("9 d")

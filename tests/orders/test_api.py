import pytest

from orders.models import Order, OrderNumber
from tests.orders.conftest import ADDRESS


@pytest.fixture
def api(api_client, csr):
    api_client.force_authenticate(csr)
    return api_client


def place_cart(api, sku, card="4242424242424242"):
    cart = api.post(
        "/api/v1/carts/", {"guest": {"last_name": "Guest", "email": "g@example.com"}}
    ).json()
    cid = cart["id"]
    r = api.post(
        f"/api/v1/carts/{cid}/ship-tos/",
        {"address": ADDRESS, "shipping_method": "ground", "version": cart["version"]},
    )
    assert r.status_code == 201, r.json()
    r = api.post(
        f"/api/v1/carts/{cid}/lines/",
        {"sku": sku.code, "quantity": 3, "version": r.json()["version"]},
    )
    assert r.status_code == 201, r.json()
    line_id = r.json()["lines"][0]["id"]
    r = api.patch(
        f"/api/v1/carts/{cid}/lines/{line_id}/", {"quantity": 2, "version": r.json()["version"]}
    )
    assert r.json()["lines"][0]["quantity"] == 2
    r = api.put(
        f"/api/v1/carts/{cid}/billing-address/",
        {"address": ADDRESS, "version": r.json()["version"]},
    )
    assert r.status_code == 200, r.json()
    r = api.put(
        f"/api/v1/carts/{cid}/payment/",
        {
            "card_number": card,
            "exp_month": 12,
            "exp_year": 2034,
            "cvv": "123",
            "version": r.json()["version"],
        },
    )
    assert r.status_code == 200, r.json()
    assert card not in r.content.decode()
    return r.json()


def test_a_guest_order_through_the_api_exactly_once(api, sku, ground):
    cart = place_cart(api, sku)
    url = f"/api/v1/carts/{cart['id']}/submit/"
    body = {"expected_total": cart["total"]}
    first = api.post(url, body, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201, first.json()
    assert first.json()["placed"] and first.json()["order"]["number"].startswith("NW-")
    again = api.post(url, body, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert again.status_code == 200 and again.json()["repeated"]
    assert again.json()["order"]["number"] == first.json()["order"]["number"]
    assert OrderNumber.objects.count() == 1
    found = api.get("/api/v1/orders/", {"q": first.json()["order"]["number"]}).json()
    assert found["count"] == 1
    detail = api.get(f"/api/v1/orders/{cart['id']}/").json()
    assert detail["status"] == "authorized" and detail["payment"]["status"] == "authorized"


def test_a_declined_card_is_402_and_the_cart_stays_pending(api, sku, ground):
    cart = place_cart(api, sku, card="4000000000000002")
    r = api.post(
        f"/api/v1/carts/{cart['id']}/submit/",
        {"expected_total": cart["total"]},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert r.status_code == 402 and "declined" in r.json()["message"]
    assert Order.objects.get(pk=cart["id"]).status == "pending"


def test_submit_without_a_key_and_a_stale_version_are_refused(api, sku, ground):
    cart = place_cart(api, sku)
    r = api.post(f"/api/v1/carts/{cart['id']}/submit/", {"accept_price_changes": True})
    assert r.status_code == 400 and r.json()["fields"] == {
        "key": ["A submit needs an idempotency key (1-100 characters)."]
    }
    r = api.post(
        f"/api/v1/carts/{cart['id']}/lines/",
        {"sku": sku.code, "version": cart["version"] - 1},
    )
    assert r.status_code == 409 and r.json()["code"] == "stale_version"


def test_order_filters(api, sku, ground):
    place_cart(api, sku)
    assert api.get("/api/v1/orders/", {"status": "pending"}).json()["count"] == 1
    assert api.get("/api/v1/orders/", {"postal_code": "M5H 1A1"}).json()["count"] == 1
    assert api.get("/api/v1/orders/", {"status": "shipped"}).json()["count"] == 0
    r = api.get("/api/v1/orders/", {"created_from": "yesterday"})
    assert r.status_code == 400


def test_the_api_needs_the_desk_role(api_client, nobody):
    api_client.force_authenticate(nobody)
    assert api_client.post("/api/v1/carts/", {}).status_code == 403


def test_ship_tos_methods_codes_comments_atp_and_line_removal(api, sku, sku2, ground, express):
    cart = api.post("/api/v1/carts/", {"guest": {"last_name": "G", "email": "g@example.com"}})
    cid = cart.json()["id"]
    home = api.post(
        f"/api/v1/carts/{cid}/ship-tos/", {"address": ADDRESS, "version": cart.json()["version"]}
    ).json()
    ship_to = home["current_ship_to"]
    r = api.post(
        f"/api/v1/carts/{cid}/lines/", {"sku": sku.code, "quantity": 1, "version": home["version"]}
    )
    r = api.put(
        f"/api/v1/carts/{cid}/ship-tos/{ship_to}/shipping-method/",
        {"shipping_method": "express", "version": r.json()["version"]},
    )
    assert r.status_code == 200
    assert [a["shipping_method"] for a in r.json()["addresses"]] == ["express"]
    version = r.json()["version"]
    r = api.post(f"/api/v1/carts/{cid}/codes/", {"code": "NOPE", "version": version})
    assert r.status_code in (400, 404) and r.json()["message"]
    r = api.post(f"/api/v1/carts/{cid}/comments/", {"text": "Call before delivery"})
    assert r.status_code == 201
    version = r.json()["version"]
    r = api.put(f"/api/v1/carts/{cid}/atp/", {"atp_choice": "ship_complete", "version": version})
    assert r.json()["atp_choice"] == "ship_complete"
    line_id = r.json()["lines"][0]["id"]
    r = api.delete(f"/api/v1/carts/{cid}/lines/{line_id}/?version={r.json()['version']}")
    assert r.status_code == 200 and r.json()["lines"] == []
    r = api.post(f"/api/v1/carts/{cid}/lines/", {"sku": "NOPE-9", "version": r.json()["version"]})
    assert r.status_code == 404 and r.json()["fields"]["sku"]


@pytest.mark.parametrize("path, method", [("ship-tos/", "post"), ("billing-address/", "put")])
def test_an_address_step_without_an_address_is_a_field_error(api, path, method):
    cid = api.post("/api/v1/carts/", {"guest": {"last_name": "Guest"}}).json()["id"]
    r = getattr(api, method)(f"/api/v1/carts/{cid}/{path}", {"version": 1})
    assert r.status_code == 400
    assert r.json()["fields"] == {"address": ["Give an address or an address_id."]}
    assert not Order.objects.get(pk=cid).addresses.exists()


def test_a_submit_names_the_total_it_agreed_to_or_accepts_changes(api, sku, ground):
    cart = place_cart(api, sku)
    url = f"/api/v1/carts/{cart['id']}/submit/"
    r = api.post(url, {}, HTTP_IDEMPOTENCY_KEY="k-none")
    assert r.status_code == 400
    assert "accept_price_changes" in r.json()["fields"]["expected_total"][0]
    assert Order.objects.get(pk=cart["id"]).status == "pending"
    r = api.post(url, {"accept_price_changes": True}, HTTP_IDEMPOTENCY_KEY="k-accept")
    assert r.status_code == 201 and r.json()["placed"]


def test_a_promotion_lost_before_submit_is_a_409_that_names_it(api, sku, ground):
    from decimal import Decimal

    from pricing.models import PromotionCounter
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("20.00"))
    spring = PromotionFactory(name="Spring sale", percent=Decimal("10"), limit_overall=5)
    cart = place_cart(api, sku)
    assert cart["discount_total"] == "4.00"
    PromotionCounter.objects.update_or_create(promotion=spring, defaults={"used": 5})
    r = api.post(
        f"/api/v1/carts/{cart['id']}/submit/",
        {"expected_total": cart["total"]},
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert r.status_code == 409 and r.json()["code"] == "prices_changed"
    assert r.json()["changes"] == ["Spring sale: All its uses are taken."]
    assert "Spring sale: All its uses are taken." in r.json()["message"]
    assert r.json()["previous_total"] == cart["total"]
    assert Order.objects.get(pk=cart["id"]).status == "pending"


def test_the_answer_to_an_add_line_is_the_cart_as_read_again(api, sku, sku2, center):
    """The answer is drawn from the cart the service left in memory, not read again: it must
    be what a read gives, gift lines, totals and version included."""
    from tests.fulfillment.factories import stock
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

    stock(sku2, center, 10)
    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku2)
    PromotionFactory(name="Tenth off")
    cart = api.post("/api/v1/carts/", {"guest": {"last_name": "G", "email": "g@example.com"}})
    r = api.post(
        f"/api/v1/carts/{cart.json()['id']}/ship-tos/",
        {"address": ADDRESS, "shipping_method": "ground", "version": cart.json()["version"]},
    )
    for code in (sku.code, sku2.code):
        r = api.post(
            f"/api/v1/carts/{r.json()['id']}/lines/", {"sku": code, "version": r.json()["version"]}
        )
        assert r.status_code == 201, r.json()
    assert r.json()["discount_total"] != "0.00" and len(r.json()["lines"]) == 2
    assert r.json() == api.get(f"/api/v1/carts/{r.json()['id']}/").json()

import pytest

from customers.models import Customer
from tests.customers.factories import (
    AddressFactory,
    CustomerFactory,
    OrganizationFactory,
    PaymentMethodFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


@pytest.fixture
def api(api_client, csr):
    api_client.force_authenticate(csr)
    return api_client


@pytest.fixture
def jane():
    org = OrganizationFactory(account_number="ACC-1001", name="Acme")
    customer = CustomerFactory(
        logon_id="jroe",
        first_name="Jane",
        last_name="Roe",
        email="jane@example.com",
        phone="+15550102233",
        organization=org,
    )
    AddressFactory(customer=customer, postal_code="M5V 2T6", is_default_billing=True)
    PaymentMethodFactory(customer=customer, gateway_token="sbx_approve_secret", last4="4242")
    return customer


@pytest.mark.parametrize(
    "params",
    [
        {"q": "0102233"},
        {"q": "ROE"},
        {"logon_id": "JR"},
        {"first_name": "ja"},
        {"last_name": "ro"},
        {"phone": "(555) 010-2233"},
        {"email": "JANE@"},
        {"postal_code": "m5v2"},
        {"account_number": "acc-10"},
    ],
)
def test_every_find_field_filters(api, jane, params):
    CustomerFactory(
        logon_id="other", first_name="Zed", last_name="Zulu", email="z@z.org", phone="+14165550000"
    )
    response = api.get(URL, params)
    assert response.status_code == 200
    assert [c["logon_id"] for c in response.json()["results"]] == ["jroe"]


def test_cards_show_brand_and_last4_only(api, jane):
    body = api.get(f"{URL}{jane.pk}/").json()
    assert body["payment_methods"] == [
        {
            "id": jane.payment_methods.get().pk,
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2030,
            "billing_address": None,
            "is_default": False,
        }
    ]
    assert "sbx_approve_secret" not in str(body)
    assert "password" not in body and "challenge_answer" not in body


def test_list_query_count_is_constant(api, django_assert_max_num_queries):
    for i in range(12):
        customer = CustomerFactory(last_name=f"Many{i}")
        AddressFactory(customer=customer)
        PaymentMethodFactory(customer=customer)
    with django_assert_max_num_queries(8):
        response = api.get(URL, {"q": "many"})
    assert response.json()["count"] == 12


def test_create_with_nested_addresses(api):
    SegmentFactory(code="gold", name="Gold")
    response = api.post(
        URL,
        {
            "logon_id": "new.customer",
            "password": "Tangerine-Harbor-88",
            "first_name": "New",
            "last_name": "Customer",
            "email": "new@example.com",
            "phone": "+1 555 010 9999",
            "segments": ["gold"],
            "addresses": [
                {
                    "nickname": "Home",
                    "line1": "1 A St",
                    "city": "Toronto",
                    "postal_code": "M5V 2T6",
                    "country": "CA",
                },
                {
                    "nickname": "Work",
                    "line1": "2 B St",
                    "city": "Seattle",
                    "region": "WA",
                    "postal_code": "98101",
                    "country": "US",
                    "is_default_shipping": True,
                },
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+15550109999" and body["segments"] == ["gold"]
    by_name = {a["nickname"]: a for a in body["addresses"]}
    assert by_name["Home"]["is_default_billing"] and by_name["Work"]["is_default_shipping"]
    assert not by_name["Home"]["is_default_shipping"]


def test_create_errors_are_400_with_field_messages_and_nothing_saved(api):
    CustomerFactory(logon_id="taken")
    response = api.post(
        URL,
        {
            "logon_id": "taken",
            "password": "123",
            "first_name": "A",
            "last_name": "B",
            "email": "nope",
            "addresses": [
                {
                    "nickname": "Home",
                    "line1": "1 A St",
                    "city": "X",
                    "postal_code": "1",
                    "country": "Atlantis",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert {"logon_id", "password", "email", "address_country"} <= set(fields)
    assert Customer.objects.count() == 1

    response = api.post(URL, {"first_name": "A"}, format="json")
    assert response.status_code == 400
    assert {"logon_id", "password", "last_name"} <= set(response.json()["fields"])


def test_update_and_address_endpoints(api, jane):
    response = api.patch(
        f"{URL}{jane.pk}/", {"last_name": "Doe", "phone": "416-555-0100"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["last_name"] == "Doe"
    assert response.json()["phone"] == "+14165550100"

    response = api.patch(f"{URL}{jane.pk}/", {"email": "broken"}, format="json")
    assert response.status_code == 400 and "email" in response.json()["fields"]

    addresses = f"{URL}{jane.pk}/addresses/"
    response = api.post(
        addresses,
        {
            "nickname": "Cottage",
            "line1": "9 Lake Rd",
            "city": "Huntsville",
            "postal_code": "P1H 1A1",
            "country": "CA",
            "is_default_shipping": True,
        },
        format="json",
    )
    assert response.status_code == 201
    cottage = response.json()
    assert cottage["is_default_shipping"]
    response = api.patch(
        f"{addresses}{cottage['id']}/",
        {"city": "Bracebridge", "is_default_billing": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["city"] == "Bracebridge" and response.json()["is_default_billing"]
    assert len(api.get(addresses).json()) == 2
    assert api.delete(f"{addresses}{cottage['id']}/").status_code == 204
    assert jane.addresses.get().is_default_billing


def test_api_needs_the_desk_permission(api_client, nobody):
    api_client.force_authenticate(nobody)
    assert api_client.get(URL).status_code == 403

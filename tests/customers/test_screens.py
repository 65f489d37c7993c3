import pytest
from django.urls import reverse

from core.events import EventType
from customers.models import Address, Customer, PaymentMethod
from tests.customers.factories import AddressFactory, CustomerFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def test_find_screen_and_live_results(csr_client):
    jane = CustomerFactory(first_name="Jane", last_name="Roe", phone="+15550102233")
    response = csr_client.get(reverse("customers:find"))
    assert response.status_code == 200
    assert b"data-search" in response.content
    response = csr_client.get(
        reverse("customers:find"),
        {"q": "0102233"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )
    assert response.status_code == 200
    assert b"Roe, Jane" in response.content
    assert b"<html" not in response.content  # a partial
    assert response["HX-Replace-Url"] == "/customers/?q=0102233"
    # Enter with exactly one result opens it
    response = csr_client.get(reverse("customers:find"), {"q": "0102233", "go": "1"})
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[jane.pk])


def test_empty_result_offers_create_with_what_was_typed(csr_client):
    response = csr_client.get(reverse("customers:find"), {"q": "Jane Zed"})
    assert b"No customer matches" in response.content
    assert b"/customers/new/?q=Jane+Zed" in response.content
    response = csr_client.get(reverse("customers:create"), {"q": "Jane Zed"})
    form = response.context["form"]
    assert form.initial["first_name"] == "Jane" and form.initial["last_name"] == "Zed"
    response = csr_client.get(reverse("customers:create"), {"q": "(555) 010-2233"})
    assert response.context["form"].initial["phone"] == "(555) 010-2233"


def test_create_screen_shows_field_errors_and_saves_nothing(csr_client):
    CustomerFactory(logon_id="taken")
    response = csr_client.post(
        reverse("customers:create"),
        {
            "first_name": "Jane",
            "last_name": "Roe",
            "logon_id": "taken",
            "password": "abc",
            "email": "bad@",
            "phone": "12",
            "preferred_currency": "CAD",
            "preferred_language": "en",
            "address_nickname": "Home",
            "address_line1": "1 Main St",
            "address_city": "Toronto",
            "address_postal_code": "M5V 2T6",
            "address_country": "Narnia",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"logon_id", "password", "email", "phone", "address_country"} <= set(errors)
    assert Customer.objects.count() == 1
    assert b"Nothing was saved" in response.content


def test_create_screen_saves_a_valid_customer(csr_client):
    gold = SegmentFactory(code="gold", name="Gold")
    response = csr_client.post(
        reverse("customers:create"),
        {
            "first_name": "Jane",
            "last_name": "Roe",
            "logon_id": "jroe",
            "password": "Tangerine-Harbor-88",
            "email": "jane@example.com",
            "phone": "555 010 2233",
            "preferred_currency": "CAD",
            "preferred_language": "en",
            "segments": [gold.pk],
            "address_nickname": "Home",
            "address_line1": "1 Main St",
            "address_city": "Toronto",
            "address_region": "ON",
            "address_postal_code": "M5V 2T6",
            "address_country": "Canada",
        },
    )
    customer = Customer.objects.get(logon_id="jroe")
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[customer.pk])
    assert customer.addresses.get().country.code == "CA"
    assert list(customer.segments.all()) == [gold]


def test_customer_page_and_its_actions(csr_client, csr, django_assert_max_num_queries):
    customer = CustomerFactory(first_name="Jane", last_name="Roe")
    home = AddressFactory(
        customer=customer, nickname="Home", is_default_billing=True, is_default_shipping=True
    )
    url = reverse("customers:detail", args=[customer.pk])
    with django_assert_max_num_queries(20):
        response = csr_client.get(url)
    assert response.status_code == 200
    assert b"Jane Roe" in response.content

    response = csr_client.post(
        reverse("customers:address_add", args=[customer.pk]),
        {
            "address-nickname": "Work",
            "address-line1": "2 Bay St",
            "address-city": "Toronto",
            "address-postal_code": "M5J 2X5",
            "address-country": "CA",
            "address-default_shipping": "on",
        },
    )
    assert response.status_code == 302
    work = customer.addresses.get(nickname="Work")
    assert work.is_default_shipping
    home.refresh_from_db()
    assert home.is_default_billing and not home.is_default_shipping

    response = csr_client.post(
        reverse("customers:address_add", args=[customer.pk]),
        {"address-nickname": "Bad", "address-country": "CA"},
    )
    assert response.status_code == 400
    assert response.context["open_dialog"] == "add-address"
    assert not customer.addresses.filter(nickname="Bad").exists()

    response = csr_client.post(
        reverse("customers:address_edit", args=[customer.pk, work.pk]),
        {
            "edit-nickname": "Work",
            "edit-line1": "3 Bay St",
            "edit-city": "Toronto",
            "edit-postal_code": "M5J 2X5",
            "edit-country": "CA",
        },
    )
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.line1 == "3 Bay St"

    csr_client.post(reverse("customers:address_delete", args=[customer.pk, home.pk]))
    assert not Address.objects.filter(pk=home.pk).exists()
    work.refresh_from_db()
    assert work.is_default_billing

    response = csr_client.post(
        reverse("customers:card_add", args=[customer.pk]),
        {
            "card-card_number": "4242 4242 4242 4242",
            "card-exp_month": "12",
            "card-exp_year": "2031",
            "card-cvv": "123",
            "card-billing_address": str(work.pk),
        },
    )
    assert response.status_code == 302
    card = PaymentMethod.objects.get(customer=customer)
    assert card.gateway_token.startswith("sbx_approve_") and card.last4 == "4242"
    page = csr_client.get(url).content.decode()
    assert "Visa ending 4242" in page
    assert "4242424242424242" not in page and card.gateway_token not in page

    response = csr_client.post(
        reverse("customers:card_add", args=[customer.pk]),
        {
            "card-card_number": "4242 4242 4242 4241",
            "card-exp_month": "12",
            "card-exp_year": "2031",
            "card-cvv": "123",
        },
    )
    assert response.status_code == 400
    assert b"4242 4242 4242 4241" not in response.content

    response = csr_client.post(
        reverse("customers:toggle_enabled", args=[customer.pk]), {"disable-reason": ""}
    )
    assert response.status_code == 400
    csr_client.post(
        reverse("customers:toggle_enabled", args=[customer.pk]), {"disable-reason": "Fraud check"}
    )
    customer.refresh_from_db()
    assert not customer.is_enabled
    assert b"Disabled: Fraud check" in csr_client.get(url).content

    csr_client.post(reverse("customers:reset_password", args=[customer.pk]))
    customer.refresh_from_db()
    assert customer.must_change_password

    history = csr_client.get(url).content.decode()
    assert "csr1" in history and "Added address Work" in history
    assert customer.events.filter(event_type=EventType.CUSTOMER_DISABLED, actor=csr).exists()


def test_screens_need_the_desk_permission(client, nobody):
    client.force_login(nobody)
    assert client.get(reverse("customers:find")).status_code == 403
    assert client.get(reverse("customers:create")).status_code == 403


def test_a_refused_action_is_a_message_not_an_error_page(csr_client):
    customer = CustomerFactory(first_name="Jane", last_name="Roe", email="")
    response = csr_client.post(reverse("customers:reset_password", args=[customer.pk]), follow=True)
    assert response.status_code == 200
    assert b"has no e-mail address" in response.content
    response = csr_client.post(
        reverse("customers:toggle_enabled", args=[customer.pk]), {"disable-reason": "Fraud"}
    )
    customer.refresh_from_db()
    assert not customer.is_enabled

import io

import pytest
import tablib
from django.urls import reverse

from core.events import EventType
from customers.models import Customer
from customers.resources import CustomerResource
from tests.customers.factories import (
    AddressFactory,
    CustomerFactory,
    OrganizationFactory,
    PaymentMethodFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, store_admin):
    client.force_login(store_admin)
    return client


@pytest.mark.parametrize(
    "name", ["customer", "segment", "organization", "paymentmethod", "customerevent"]
)
def test_list_pages_have_no_n_plus_one(admin_client, name, django_assert_max_num_queries):
    org = OrganizationFactory()
    gold = SegmentFactory(code="gold")
    for _ in range(15):
        customer = CustomerFactory(organization=org)
        customer.segments.add(gold)
        PaymentMethodFactory(customer=customer)
    url = reverse(f"admin:customers_{name}_changelist")
    # Fixed, whatever the rows: the admin's sidebar asks each one-row settings page (pricing,
    # fulfillment, returns, auctions) whether its row exists.
    with django_assert_max_num_queries(16):
        response = admin_client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(16):
        assert admin_client.get(url, {"q": "cust"}).status_code == 200


def test_customer_change_page_shows_cards_read_only_with_masked_token(admin_client):
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    PaymentMethodFactory(customer=customer, gateway_token="sbx_approve_0123456789abcdef")
    response = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "sbx_approve_" in page and "0123456789abcdef" not in page
    assert 'name="password"' not in page


def test_a_store_admin_sets_a_business_accounts_credit_limit(admin_client):
    account = OrganizationFactory(name="Acme", account_number="B-1")
    url = reverse("admin:customers_organization_change", args=[account.pk])
    form = {"account_number": "B-1", "name": "Acme", "credit_limit": "5000.00"}
    assert admin_client.post(url, form).status_code == 302
    account.refresh_from_db()
    assert str(account.credit_limit) == "5000.00"
    refused = admin_client.post(url, {**form, "credit_limit": "-1"})
    assert refused.status_code == 200 and "greater than or equal to 0" in refused.content.decode()
    assert admin_client.post(url, {**form, "credit_limit": ""}).status_code == 302
    account.refresh_from_db()
    assert account.credit_limit is None  # no limit


def _csv(rows: list[list[str]]) -> tablib.Dataset:
    header = ["logon_id", "first_name", "last_name", "email", "phone", "account_number", "segments"]
    return tablib.Dataset(*rows, headers=header)


def test_import_creates_customers_normalises_phones_and_audits(store_admin):
    OrganizationFactory(account_number="ACC-1")
    SegmentFactory(code="gold")
    SegmentFactory(code="silver")
    data = _csv(
        [
            ["amy", "Amy", "Adams", "amy@example.com", "(555) 010-1111", "ACC-1", "gold;silver"],
            ["bob", "Bob", "Brown", "bob@example.com", "555 010 2222", "", ""],
        ]
    )
    result = CustomerResource().import_data(data, dry_run=False, user=store_admin)
    assert not result.has_errors() and not result.has_validation_errors()
    amy = Customer.objects.get(logon_id="amy")
    assert amy.phone == "+15550101111" and amy.phone_digits == "15550101111"
    assert {s.code for s in amy.segments.all()} == {"gold", "silver"}
    assert amy.organization.account_number == "ACC-1"
    assert amy.must_change_password and not amy.password.startswith("pbkdf2")
    assert amy.events.get().event_type == EventType.CUSTOMER_IMPORTED


@pytest.mark.parametrize(
    "bad_row",
    [
        ["bad1", "Bad", "Phone", "b@example.com", "12", "", ""],
        ["bad2", "Bad", "Org", "b@example.com", "", "NOPE", ""],
        ["bad3", "Bad", "Segment", "b@example.com", "", "", "platinum"],
        ["bad4", "Bad", "Email", "not-an-email", "", "", ""],
    ],
)
def test_one_bad_row_imports_nothing(store_admin, bad_row):
    data = _csv([["good", "Good", "Row", "g@example.com", "555 010 3333", "", ""], bad_row])
    result = CustomerResource().import_data(data, dry_run=False, user=store_admin)
    assert result.has_errors() or result.has_validation_errors()
    assert not Customer.objects.exists()


def test_export_lists_customers(store_admin):
    customer = CustomerFactory(logon_id="exp", phone="+15550104444")
    customer.segments.add(SegmentFactory(code="gold"))
    dataset = CustomerResource().export()
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["logon_id"] == "exp" and row["segments"] == "gold"
    assert "password" not in dataset.headers


def test_admin_import_screen_reports_row_errors(admin_client):
    content = "logon_id,first_name,last_name,email,phone\nx1,A,B,a@example.com,12\n"
    response = admin_client.post(
        reverse("admin:customers_customer_import"),
        {
            "format": "0",
            "import_file": io.BytesIO(content.encode()),
            "resource": "0",
        },
    )
    assert response.status_code == 200
    assert b"wrong number of digits" in response.content
    assert not Customer.objects.exists()

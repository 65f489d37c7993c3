import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from core.errors import DomainError, NotAllowed
from core.events import EventType
from customers import services
from customers.models import Address, Customer, CustomerEvent, PaymentMethod
from tests.customers.factories import (
    AddressFactory,
    CustomerFactory,
    PaymentMethodFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

ADDRESS = {
    "nickname": "Home",
    "line1": "1 Front St W",
    "city": "Toronto",
    "region": "on",
    "postal_code": "m5j2x5",
    "country": "CA",
}


def create(actor, **overrides):
    data = {
        "logon_id": "jane.roe@example.com",
        "password": "Tangerine-Harbor-88",
        "first_name": "Jane",
        "last_name": "Roe",
        "email": "jane.roe@EXAMPLE.com",
        "phone": "(555) 010-2233",
    }
    data.update(overrides)
    return services.customer_create(actor=actor, **data)


def test_create_normalises_phone_hashes_password_and_answer_and_audits(csr):
    customer = create(
        csr,
        challenge_question="First pet?",
        challenge_answer="  Rex ",
        date_of_birth="1980-02-03",
        gender="F",
        income_band="50-100",
        address=ADDRESS,
    )
    customer.refresh_from_db()
    assert customer.phone == "+15550102233"
    assert customer.phone_digits == "15550102233"
    assert customer.email == "jane.roe@example.com"
    assert customer.password != "Tangerine-Harbor-88"
    assert customer.check_password("Tangerine-Harbor-88")
    assert customer.challenge_answer and "Rex" not in customer.challenge_answer
    assert customer.check_challenge_answer("rex")
    assert customer.is_enabled and not customer.must_change_password
    assert customer.date_of_birth == dt.date(1980, 2, 3)
    address = customer.addresses.get()
    assert address.is_default_billing and address.is_default_shipping
    assert address.postal_code == "M5J 2X5" and address.postal_code_search == "M5J2X5"
    assert address.region == "ON"
    events = list(customer.events.order_by("id"))
    assert [e.event_type for e in events] == [EventType.CUSTOMER_CREATED, EventType.ADDRESS_ADDED]
    assert events[0].actor == csr
    assert "password" not in events[0].data["new"]


def test_create_reports_every_bad_field_and_saves_nothing(csr):
    CustomerFactory(logon_id="taken@example.com")
    before = Customer.objects.count()
    with pytest.raises(services.CustomerInvalid) as err:
        create(
            csr,
            logon_id="TAKEN@example.com",
            password="12345",
            email="not-an-email",
            phone="12",
            address={**ADDRESS, "country": "Atlantis"},
        )
    errors = err.value.errors
    assert "already taken" in errors["logon_id"][0]
    assert errors["password"]  # Django's validators: too short, too common, numeric
    assert "not an e-mail address" in errors["email"][0]
    assert "phone" in errors
    assert "not a country we know" in errors["address_country"][0]
    assert Customer.objects.count() == before
    assert not Address.objects.exists()
    assert not CustomerEvent.objects.exists()


def test_create_checks_postal_code_against_the_country(csr):
    with pytest.raises(services.CustomerInvalid) as err:
        create(csr, address={**ADDRESS, "postal_code": "90210"})
    assert "K1A 0B1" in err.value.errors["address_postal_code"][0]


def test_a_user_without_the_desk_role_cannot_create(nobody):
    with pytest.raises(NotAllowed):
        create(nobody)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "typed", ["(555) 010-2233", "5550102233", "+1 555 010 2233", "555.010.2233", "1-555-010-2233"]
)
def test_phone_formats_normalise_to_e164(typed):
    assert services.normalize_phone(typed, region="CA") == "+15550102233"


@pytest.mark.parametrize("typed", ["12", "abc", "555-0"])
def test_impossible_phones_are_refused(typed):
    with pytest.raises(ValueError):
        services.normalize_phone(typed)


def test_update_writes_old_and_new_values(csr):
    customer = create(csr)
    services.customer_update(
        actor=csr, customer=customer, data={"last_name": "Doe", "phone": "416 555 0199"}
    )
    customer.refresh_from_db()
    assert customer.last_name == "Doe" and customer.phone_digits == "14165550199"
    event = customer.events.filter(event_type=EventType.CUSTOMER_UPDATED).get()
    assert event.data["changes"]["last_name"] == {"old": "Roe", "new": "Doe"}
    assert event.actor == csr


def test_update_refuses_duplicate_logon_and_keeps_the_old_values(csr):
    CustomerFactory(logon_id="other@example.com")
    customer = create(csr)
    with pytest.raises(services.CustomerInvalid) as err:
        services.customer_update(
            actor=csr, customer=customer, data={"logon_id": "Other@example.com", "last_name": "X"}
        )
    assert "logon_id" in err.value.errors
    customer.refresh_from_db()
    assert customer.last_name == "Roe"


def test_disabled_customer_cannot_order_until_enabled(csr):
    customer = create(csr)
    services.ensure_can_order(customer)
    services.ensure_can_order(None)  # guests always may
    with pytest.raises(services.CustomerInvalid):
        services.customer_disable(actor=csr, customer=customer, reason="  ")
    services.customer_disable(actor=csr, customer=customer, reason="Chargeback fraud")
    customer.refresh_from_db()
    assert not customer.is_enabled
    with pytest.raises(DomainError, match="disabled \\(Chargeback fraud\\)") as err:
        services.ensure_can_order(customer)
    assert err.value.code == "customer_disabled"
    services.customer_enable(actor=csr, customer=customer)
    customer.refresh_from_db()
    services.ensure_can_order(customer)
    types = list(customer.events.values_list("event_type", flat=True))
    assert EventType.CUSTOMER_DISABLED in types and EventType.CUSTOMER_ENABLED in types


def test_reset_password_emails_a_one_time_link_after_commit(
    csr, client, django_capture_on_commit_callbacks
):
    customer = create(csr)
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_reset_password(actor=csr, customer=customer)
    customer.refresh_from_db()
    assert customer.must_change_password
    assert not customer.check_password("Tangerine-Harbor-88")  # the old one stops working
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jane.roe@example.com"]
    link = re.search(r"https?://\S+/set-password/\S+/", mail.outbox[0].body).group(0)
    path = urlsplit(link).path
    event = customer.events.get(event_type=EventType.CUSTOMER_PASSWORD_RESET)
    assert path.split("/")[-2] not in str(event.data) and event.actor == csr

    assert client.get(path).status_code == 200
    response = client.post(path, {"new_password": "Jane", "confirm_password": "Jane"})
    assert response.status_code == 200 and b"too short" in response.content
    new = {"new_password": "Brand-New-Lantern-7", "confirm_password": "Brand-New-Lantern-7"}
    assert b"Your new password is set" in client.post(path, new).content
    customer.refresh_from_db()
    assert customer.check_password("Brand-New-Lantern-7") and not customer.must_change_password
    assert client.get(path).status_code == 404  # the link works once


def test_a_reset_puts_no_secret_in_the_task_arguments(
    csr, monkeypatch, django_capture_on_commit_callbacks
):
    from customers import tasks

    queued = []
    monkeypatch.setattr(tasks.send_password_link, "delay", lambda *a, **kw: queued.append((a, kw)))
    customer = create(csr)
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_reset_password(actor=csr, customer=customer)
    assert queued == [((customer.pk,), {})]


def test_a_password_like_the_name_is_refused_not_an_error(csr):
    with pytest.raises(services.CustomerInvalid) as err:
        create(csr, first_name="Maria", last_name="Gonzalez", password="MariaGonzalez1")
    assert "too similar" in err.value.errors["password"][0]


def test_reset_password_needs_an_email(csr):
    customer = create(csr, email="")
    with pytest.raises(DomainError, match="no e-mail"):
        services.customer_reset_password(actor=csr, customer=customer)


def test_address_book_keeps_exactly_one_default_of_each(csr):
    customer = create(csr, address=ADDRESS)
    home = customer.addresses.get()
    work = services.address_create(
        actor=csr,
        customer=customer,
        data={**ADDRESS, "nickname": "Work", "postal_code": "M5V 2T6"},
    )
    assert not work.is_default_billing and not work.is_default_shipping
    services.address_set_default(actor=csr, address=work, shipping=True)
    home.refresh_from_db()
    work.refresh_from_db()
    assert home.is_default_billing and not home.is_default_shipping
    assert work.is_default_shipping
    services.address_delete(actor=csr, address=home)
    work.refresh_from_db()
    assert work.is_default_billing and work.is_default_shipping
    with pytest.raises(services.CustomerInvalid) as err:
        services.address_create(actor=csr, customer=customer, data={**ADDRESS, "nickname": "work"})
    assert "already has an address called" in err.value.errors["nickname"][0]
    services.address_update(actor=csr, address=work, data={"city": "Ottawa"})
    work.refresh_from_db()
    assert work.city == "Ottawa"
    types = list(customer.events.values_list("event_type", flat=True))
    for t in (EventType.ADDRESS_DEFAULT_SET, EventType.ADDRESS_DELETED, EventType.ADDRESS_CHANGED):
        assert t in types


def test_address_missing_fields_are_named(csr):
    customer = create(csr)
    with pytest.raises(services.CustomerInvalid) as err:
        services.address_create(actor=csr, customer=customer, data={"nickname": "X"})
    assert {"line1", "city", "postal_code", "country"} <= set(err.value.errors)
    assert not customer.addresses.exists()


def test_segments_add_and_remove(csr):
    customer = create(csr)
    gold = SegmentFactory(code="gold", name="Gold")
    services.segment_add(actor=csr, customer=customer, segment=gold)
    assert list(customer.segments.all()) == [gold]
    with pytest.raises(DomainError, match="already in Gold"):
        services.segment_add(actor=csr, customer=customer, segment=gold)
    services.segment_remove(actor=csr, customer=customer, segment=gold)
    assert not customer.segments.exists()
    assert customer.events.filter(event_type=EventType.SEGMENT_REMOVED).exists()


def test_payment_methods_store_only_token_brand_last4_expiry(csr):
    customer = create(csr, address=ADDRESS)
    card = services.payment_method_add(
        actor=csr,
        customer=customer,
        gateway_token="sbx_approve_abc",
        brand="Visa",
        last4="4242",
        exp_month=12,
        exp_year=2031,
        billing_address=customer.addresses.get(),
    )
    assert card.is_default and card.brand == "visa" and card.label == "Visa ending 4242, exp 12/31"
    second = services.payment_method_add(
        actor=csr,
        customer=customer,
        gateway_token="sbx_approve_def",
        brand="Mastercard",
        last4="4444",
        exp_month=1,
        exp_year=2030,
    )
    assert not second.is_default
    services.payment_method_remove(actor=csr, payment_method=card)
    second.refresh_from_db()
    assert second.is_default
    event = customer.events.get(event_type=EventType.PAYMENT_METHOD_ADDED, data__last4="4242")
    assert set(event.data) == {"payment_method_id", "brand", "last4", "expiry"}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"gateway_token": "4242 4242 4242 4242"}, "gateway_token"),
        ({"last4": "42424242"}, "last4"),
        ({"exp_month": 13}, "exp_month"),
        ({"exp_year": 2001}, "exp_year"),
    ],
)
def test_payment_method_refuses_card_numbers_and_bad_expiry(csr, overrides, field):
    customer = create(csr)
    data = {
        "gateway_token": "sbx_approve_x",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2031,
        **overrides,
    }
    with pytest.raises(services.CustomerInvalid) as err:
        services.payment_method_add(actor=csr, customer=customer, **data)
    assert field in err.value.errors
    assert not PaymentMethod.objects.exists()


def test_payment_method_billing_address_must_be_the_customers(csr):
    customer = create(csr)
    foreign = AddressFactory()
    with pytest.raises(services.CustomerInvalid) as err:
        services.payment_method_add(
            actor=csr,
            customer=customer,
            gateway_token="sbx_approve_1",
            brand="visa",
            last4="1111",
            exp_month=1,
            exp_year=2035,
            billing_address=foreign,
        )
    assert "billing_address" in err.value.errors


def test_payment_method_label_never_shows_the_token():
    card = PaymentMethodFactory()
    assert card.gateway_token not in str(card)

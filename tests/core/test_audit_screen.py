"""The supervisors' audit screen reads every app's audit rows, with filters and links."""

import datetime as dt

import pytest
from django.urls import reverse

from config.audit import AuditFilter, audit_events
from core.models import JobRun
from customers import services as customer_services
from orders import services


@pytest.fixture
def customer(db):
    from tests.customers.factories import CustomerFactory

    return CustomerFactory(logon_id="jane.roe")


def test_rows_of_every_app_newest_first_with_links(csr, customer):
    cart = services.cart_create(actor=csr, customer=customer)
    customer_services.note_add(actor=csr, customer=customer, text="Calls after 5")
    JobRun.objects.create(job="release_orders", triggered_by="csr1")
    rows = audit_events(AuditFilter(actor="csr1"))
    apps = {row.app for row in rows}
    assert {"orders", "customers", "jobs"} <= apps
    assert rows == sorted(rows, key=lambda r: r.occurred_at, reverse=True)
    order_row = next(r for r in rows if r.app == "orders")
    assert order_row.url == reverse("orders:order", args=[cart.pk])


def test_filters_by_type_object_and_date(csr, customer):
    cart = services.cart_create(actor=csr, customer=customer)
    customer_services.note_add(actor=csr, customer=customer, text="x")
    notes = audit_events(AuditFilter(event_type="CUSTOMER_NOTE_ADDED"))
    assert [r.app for r in notes] == ["customers"]
    by_order = audit_events(AuditFilter(object_type="order", object_id=str(cart.pk)))
    assert by_order and {r.app for r in by_order} <= {"orders", "pricing"}
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    assert audit_events(AuditFilter(date_from=tomorrow)) == []
    assert audit_events(AuditFilter(actor="someone-else")) == []


def test_only_supervisors_see_the_screen(client, csr, supervisor, customer):
    customer_services.note_add(actor=csr, customer=customer, text="Pinned?", is_pinned=True)
    client.force_login(csr)
    assert client.get(reverse("audit")).status_code == 403
    client.force_login(supervisor)
    page = client.get(reverse("audit"), {"actor": "csr1"}).content.decode()
    assert "Customer note added" in page
    assert reverse("customers:detail", args=[customer.pk]) in page
    page = client.get(reverse("audit"), {"date_from": "nope"}).content.decode()
    assert "Use a date" in page

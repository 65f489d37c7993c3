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


def test_auction_events_are_listed_with_a_link_to_the_auction(csr, store_admin):
    from tests.auctions.factories import auction, bid, bidder

    found, other = auction(store_admin), auction(store_admin, title="Other lot")
    bid(csr, found, bidder(), price="10.00")
    rows = audit_events(AuditFilter(object_type="auction", object_id=str(found.pk)))
    assert rows and {r.app for r in rows} == {"auctions"}
    assert {r.url for r in rows} == {reverse("auctions:detail", args=[found.pk])}
    assert {r.object_label for r in rows} == {str(found)}
    by_title = audit_events(AuditFilter(object_type="auction", object_id="other LOT"))
    assert by_title and {r.url for r in by_title} == {reverse("auctions:detail", args=[other.pk])}
    bids = audit_events(AuditFilter(event_type="BID_PLACED"))
    assert [(r.app, r.event, r.actor) for r in bids] == [("auctions", "Bid placed", "csr1")]
    by_admin = audit_events(AuditFilter(actor="admin1", object_type="auction"))
    assert "Auction created" in {r.event for r in by_admin} and "Bid placed" not in {
        r.event for r in by_admin
    }
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    assert audit_events(AuditFilter(object_type="auction", date_from=tomorrow)) == []
    assert audit_events(AuditFilter(object_type="order", actor="admin1")) == []


def test_the_screen_offers_auction_types_and_objects(client, csr, supervisor, store_admin):
    from tests.auctions.factories import auction, bid, bidder

    found = auction(store_admin)
    bid(csr, found, bidder(), price="10.00")
    client.force_login(supervisor)
    page = client.get(reverse("audit"), {"event_type": "BID_PLACED", "object_type": "auction"})
    body = page.content.decode()
    assert "Pick a type" not in body and "Pick an object type" not in body
    assert '<option value="BID_PLACED" selected>Bid placed</option>' in body
    assert body.count("data-row>") == 1
    assert reverse("auctions:detail", args=[found.pk]) in body


def test_the_type_filter_names_each_code_once_across_core_and_auctions():
    from auctions.event_types import AuctionEventType
    from core.events import EventType

    assert not {t.name for t in EventType} & {t.name for t in AuctionEventType}

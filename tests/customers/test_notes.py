"""Customer notes: who wrote what when, pinned ones on the orders; each audited."""

import pytest
from django.urls import reverse

from core.errors import DomainError, NotAllowed
from core.events import EventType
from customers import selectors, services
from customers.models import CustomerEvent


@pytest.fixture
def customer(db):
    from tests.customers.factories import CustomerFactory

    return CustomerFactory()


def test_a_note_is_added_with_its_author_and_audited(customer, csr):
    note = services.note_add(actor=csr, customer=customer, text="  Calls after 5 pm  ")
    assert (note.text, note.author, note.is_pinned) == ("Calls after 5 pm", csr, False)
    event = CustomerEvent.objects.get(customer=customer)
    assert event.event_type == EventType.CUSTOMER_NOTE_ADDED and event.actor == csr
    assert event.data == {"note": note.pk, "text": "Calls after 5 pm", "is_pinned": False}


def test_pinning_and_unpinning_are_audited(customer, csr):
    note = services.note_add(actor=csr, customer=customer, text="PO number required")
    services.note_set_pinned(actor=csr, note=note, is_pinned=True)
    services.note_set_pinned(actor=csr, note=note, is_pinned=True)  # no change, no row
    assert list(selectors.customer_notes(customer.pk, pinned_only=True)) == [note]
    services.note_set_pinned(actor=csr, note=note, is_pinned=False)
    types = list(
        CustomerEvent.objects.filter(customer=customer)
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert types == [
        EventType.CUSTOMER_NOTE_ADDED,
        EventType.CUSTOMER_NOTE_PINNED,
        EventType.CUSTOMER_NOTE_UNPINNED,
    ]
    assert list(selectors.customer_notes(customer.pk, pinned_only=True)) == []


def test_an_empty_or_long_note_is_refused(customer, csr):
    with pytest.raises(DomainError):
        services.note_add(actor=csr, customer=customer, text="  ")
    with pytest.raises(DomainError):
        services.note_add(actor=csr, customer=customer, text="x" * 2001)


def test_a_user_without_the_desk_role_may_not_add_notes(customer, nobody):
    with pytest.raises(NotAllowed):
        services.note_add(actor=nobody, customer=customer, text="hello")


def test_the_customer_page_adds_shows_and_pins_notes(csr_client, customer):
    url = reverse("customers:note_add", args=[customer.pk])
    csr_client.post(url, {"text": "Prefers e-mail", "is_pinned": "1"})
    page = csr_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Prefers e-mail" in page and "Pinned" in page and "csr1" in page
    note = selectors.customer_notes(customer.pk).get()
    csr_client.post(reverse("customers:note_pin", args=[customer.pk, note.pk]), {"is_pinned": "0"})
    note.refresh_from_db()
    assert not note.is_pinned

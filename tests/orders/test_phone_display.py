"""One format for a phone number on every screen: the national one, '(555) 010-2233'."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from customers.models import Address
from orders import services

SHOWN = "(555) 010-2233"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+15550102233", SHOWN),
        ("555.010.2233", SHOWN),  # typed without the country: the store's
        ("+442079460958", "+44 20 7946 0958"),
        ("ext. 4", "ext. 4"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_phone_filter(stored, shown):
    template = Template("{% load phones %}{{ number|phone }}")
    assert template.render(Context({"number": stored})) == shown


def test_the_order_screen_shows_a_customer_and_a_guest_phone_formatted(csr_client, csr, customer):
    registered = services.cart_create(actor=csr, customer=customer)
    guest = services.cart_create(
        actor=csr,
        guest={"last_name": "Walker", "email": "w@example.com", "phone": "555-010-2233"},
    )
    for order in (registered, guest):
        page = csr_client.get(reverse("orders:order", args=[order.pk])).content.decode()
        assert SHOWN in page and "+15550102233" not in page


def test_customer_screens_and_the_home_box_show_the_same_format(csr_client, customer):
    Address.objects.filter(customer=customer).update(phone="+15550102233")
    pages = [
        csr_client.get(reverse("customers:detail", args=[customer.pk])),
        csr_client.get(reverse("customers:find"), {"q": "Roe"}),
        csr_client.get("/", {"q": "5550102233"}),
    ]
    for page in pages:
        text = page.content.decode()
        assert SHOWN in text and "+15550102233" not in text


def test_saving_the_profile_with_the_phone_as_shown_changes_nothing(csr_client, customer):
    from customers.models import CustomerEvent

    page = csr_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert f'value="{SHOWN}"' in page
    before = CustomerEvent.objects.count()
    from customers.forms import ProfileForm

    form = ProfileForm.for_customer(customer)
    data = {f"profile-{k}": ("" if v is None else v) for k, v in form.initial.items()}
    data["profile-organization"] = ""
    csr_client.post(reverse("customers:profile", args=[customer.pk]), data)
    customer.refresh_from_db()
    assert customer.phone == "+15550102233"
    assert CustomerEvent.objects.count() == before

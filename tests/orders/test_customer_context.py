"""The order screen shows who the order is for: pinned notes, last orders, groups, account."""

from django.urls import reverse

from customers import services as customer_services
from customers.models import Organization, Segment
from orders import services
from orders.customer_context import customer_context
from orders.models import Order, OrderStatus


def test_pinned_notes_last_orders_segment_and_account(csr, csr_client, customer):
    customer.organization = Organization.objects.create(account_number="A-77", name="Acme")
    customer.save(update_fields=["organization"])
    customer.segments.add(Segment.objects.create(code="gold", name="Gold"))
    customer_services.note_add(actor=csr, customer=customer, text="Ask for the PO", is_pinned=True)
    customer_services.note_add(actor=csr, customer=customer, text="Not on the order screen")
    earlier = [services.cart_create(actor=csr, customer=customer) for _ in range(6)]
    Order.objects.filter(pk=earlier[0].pk).update(status=OrderStatus.SHIPPED, number="NW-000042")
    current = services.cart_create(actor=csr, customer=customer)

    context = customer_context(current)
    assert [n.text for n in context.pinned_notes] == ["Ask for the PO"]
    assert len(context.recent_orders) == 5 and current not in context.recent_orders

    page = csr_client.get(reverse("orders:order", args=[current.pk])).content.decode()
    assert "Ask for the PO" in page and "Not on the order screen" not in page
    assert "Gold" in page and "Acme (A-77)" in page and "Last orders" in page
    placed = csr_client.get(reverse("orders:order", args=[earlier[0].pk])).content.decode()
    assert "Ask for the PO" in placed


def test_a_guest_order_has_no_customer_context(guest_cart):
    assert customer_context(guest_cart) is None

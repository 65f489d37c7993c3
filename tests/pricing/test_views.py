"""The supervisors' approval queue."""

from decimal import Decimal

from django.urls import reverse

from orders.pricing import amounts_of, reprice_order
from pricing import models as m
from pricing import services


def pending(store, csr):
    order = store.cart(notebook=10)
    reprice_order(order=order)
    return services.add_adjustment(
        order=amounts_of(order),
        actor=csr,
        kind="order_amount",
        value="30",
        reason_code="price_match",
        comment="competitor flyer",
    )


def test_queue_lists_and_approves(client, store, csr, supervisor):
    adj = pending(store, csr)
    client.force_login(supervisor)
    page = client.get(reverse("pricing:approvals"))
    assert page.status_code == 200
    assert "competitor flyer" in page.content.decode()
    response = client.post(reverse("orders:adjustment_approve", args=[adj.pk]), follow=True)
    assert "Approved" in response.content.decode()
    adj.refresh_from_db()
    assert adj.status == m.OrderAdjustment.Status.APPROVED
    adj.order.refresh_from_db()
    assert adj.order.discount_total == Decimal("30.00")


def test_queue_rejects(client, store, csr, supervisor):
    adj = pending(store, csr)
    client.force_login(supervisor)
    client.post(reverse("pricing:reject", args=[adj.pk]))
    adj.refresh_from_db()
    assert adj.status == m.OrderAdjustment.Status.REJECTED


def test_csr_cannot_open_the_queue(csr_client):
    assert csr_client.get(reverse("pricing:approvals")).status_code == 403
    assert csr_client.post(reverse("orders:adjustment_approve", args=[1])).status_code == 403

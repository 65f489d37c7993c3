"""The returns screens: CSR entry, supervisor queue, receiving for operations."""

import pytest

from fulfillment.models import Inventory
from returns.models import ReturnPolicy, ReturnRequest
from tests.customers.factories import CustomerFactory
from tests.returns.conftest import order_line


def _start(client, order):
    response = client.post("/returns/new/order/", {"order_number": order.number})
    assert response.status_code == 302
    return ReturnRequest.objects.get(order=order)


def test_a_csr_returns_a_notebook_from_the_screen(client, csr, shipped, skus, reason):
    notebook, _case = skus
    client.force_login(csr)
    assert client.get("/returns/").status_code == 200
    rr = _start(client, shipped)
    screen = client.get(f"/returns/{rr.pk}/")
    assert screen.status_code == 200
    assert b"9.97" in screen.content  # the next notebook's refund, shown before adding
    line = order_line(shipped, notebook)
    response = client.post(
        f"/returns/{rr.pk}/lines/order/",
        {f"qty_{line.pk}": "1", "reason": reason.code, "disposition": "restock"},
    )
    assert response.status_code == 302
    assert str(rr.lines.get().refund_amount) == "9.97"
    response = client.post(f"/returns/{rr.pk}/submit/", follow=True)
    assert b"approved: from the order" in response.content
    rr.refresh_from_db()
    assert rr.status == "approved"


def test_an_over_return_is_refused_with_a_message(client, csr, shipped, skus, reason):
    notebook, _case = skus
    client.force_login(csr)
    rr = _start(client, shipped)
    line = order_line(shipped, notebook)
    response = client.post(
        f"/returns/{rr.pk}/lines/order/",
        {f"qty_{line.pk}": "3", "reason": reason.code, "disposition": "restock"},
        follow=True,
    )
    assert b"Ensure this value is less than or equal to 2" in response.content
    assert not rr.lines.exists()
    response = client.post("/returns/new/order/", {"order_number": "nope"}, follow=True)
    assert b"There is no order nope" in response.content


def test_supervisor_queue_and_receiving(client, csr, supervisor, operations, shipped, skus, reason):
    notebook, _case = skus
    ReturnPolicy.objects.create(pk=1, auto_approve=False)
    client.force_login(csr)
    rr = _start(client, shipped)
    line = order_line(shipped, notebook)
    client.post(
        f"/returns/{rr.pk}/lines/order/",
        {f"qty_{line.pk}": "2", "reason": reason.code, "disposition": "restock"},
    )
    client.post(f"/returns/{rr.pk}/submit/")
    assert client.get("/returns/queue/").status_code == 403
    assert client.get("/returns/receiving/").status_code == 403

    client.force_login(supervisor)
    queue = client.get("/returns/queue/")
    assert rr.rma_number.encode() in queue.content
    assert b"the store approves every return by hand" in queue.content
    client.post(f"/returns/{rr.pk}/decide/", {"decision": "approve", "comment": "ok"})
    rr.refresh_from_db()
    assert rr.status == "approved"

    client.force_login(operations)
    screen = client.get("/returns/receiving/")
    assert rr.rma_number.encode() in screen.content
    return_line = rr.lines.get()
    before = Inventory.objects.get(sku=notebook).on_hand
    response = client.post(
        f"/returns/{rr.pk}/receive/",
        {
            f"r{rr.pk}-qty_{return_line.pk}": "2",
            f"r{rr.pk}-disp_{return_line.pk}": "restock",
            f"r{rr.pk}-center": "",
        },
        follow=True,
    )
    assert f"{rr.rma_number} received".encode() in response.content
    rr.refresh_from_db()
    assert rr.status == "refunded"
    assert Inventory.objects.get(sku=notebook).on_hand == before + 2


@pytest.mark.parametrize("url", ["/returns/", "/returns/queue/", "/returns/receiving/"])
def test_staff_without_the_role_are_refused(client, nobody, url):
    client.force_login(nobody)
    assert client.get(url).status_code == 403


def test_the_order_and_customer_pages_can_load_their_returns(client, csr, shipped, skus, reason):
    client.force_login(csr)
    rr = _start(client, shipped)
    order_part = client.get(f"/returns/order/{shipped.pk}/")
    assert rr.rma_number.encode() in order_part.content
    assert b'name="order_number"' in order_part.content
    customer = CustomerFactory()
    response = client.post(f"/returns/new/customer/{customer.pk}/")
    created = ReturnRequest.objects.get(customer=customer)
    assert response.url == f"/returns/{created.pk}/"
    customer_part = client.get(f"/returns/customer/{customer.pk}/")
    assert created.rma_number.encode() in customer_part.content


def test_the_order_screen_and_customer_page_load_their_returns(
    client, csr, shipped, skus, reason, django_assert_max_num_queries
):
    client.force_login(csr)
    rr = _start(client, shipped)
    screen = client.get(f"/orders/{shipped.pk}/")
    assert screen.status_code == 200
    assert f'hx-get="/returns/order/{shipped.pk}/"'.encode() in screen.content
    with django_assert_max_num_queries(8):
        part = client.get(f"/returns/order/{shipped.pk}/")
    assert rr.rma_number.encode() in part.content
    assert b'data-key="R"' in part.content  # "New return" with one key

    customer = CustomerFactory()
    page = client.get(f"/customers/{customer.pk}/")
    assert f'hx-get="/returns/customer/{customer.pk}/"'.encode() in page.content
    for _ in range(3):
        client.post(f"/returns/new/customer/{customer.pk}/")
    with django_assert_max_num_queries(8):
        part = client.get(f"/returns/customer/{customer.pk}/")
    assert part.content.count(b"RMA") >= 3
    assert b"<h2>Returns</h2>" not in part.content  # the customer page's card has the heading

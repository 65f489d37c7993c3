"""The order screens through Django's test client (the browser tests are in tests/e2e)."""

import re

from django.urls import reverse

from orders.models import Order, OrderLine, OrderStatus
from tests.orders.conftest import ADDRESS

HX = {"HTTP_HX_REQUEST": "true"}


def test_guest_order_form_creates_a_cart_and_opens_the_order_screen(csr_client):
    response = csr_client.post(
        reverse("orders:cart_new_guest"),
        {"first_name": "Gail", "last_name": "Guest", "email": "gail@example.com"},
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == reverse("orders:order", args=[order.pk])
    page = csr_client.get(response.url).content.decode()
    assert "Gail Guest" in page and 'id="item"' in page and "data-search" in page


def test_add_line_returns_the_cart_partial_and_errors_at_the_field(
    csr_client, guest_cart, sku, ground
):
    url = reverse("orders:line_add", args=[guest_cart.pk])
    response = csr_client.post(
        url, {"sku": sku.code, "quantity": "2", "version": guest_cart.version}, **HX
    )
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#cart"
    assert sku.code in body and 'hx-swap-oob="true"' in body
    assert OrderLine.objects.get(order=guest_cart).quantity == 2
    response = csr_client.post(url, {"sku": "NOPE", "quantity": "1"}, **HX)
    assert "No SKU" in response.content.decode()


def test_a_stale_version_shows_the_current_cart_with_a_warning(csr_client, guest_cart, sku):
    url = reverse("orders:line_add", args=[guest_cart.pk])
    csr_client.post(url, {"sku": sku.code, "version": guest_cart.version}, **HX)
    response = csr_client.post(url, {"sku": sku.code, "version": guest_cart.version}, **HX)
    assert "changed since you opened it" in response.content.decode()
    assert OrderLine.objects.get(order=guest_cart).quantity == 1


def test_suggestions(csr_client, guest_cart, sku):
    response = csr_client.get(reverse("orders:suggest", args=[guest_cart.pk]), {"sku": "NB-"})
    assert sku.code in response.content.decode()


def test_panels_render_and_save(csr_client, guest_cart, sku, ground):
    for name in ("ship_to", "billing", "promo", "adjust", "comment", "guest"):
        response = csr_client.get(reverse("orders:panel", args=[guest_cart.pk, name]), **HX)
        assert response.status_code == 200, name
    response = csr_client.post(
        reverse("orders:panel", args=[guest_cart.pk, "ship_to"]),
        {**ADDRESS, "method": "ground", "assign_lines": "1"},
        **HX,
    )
    assert "panel-close" in response["HX-Trigger-After-Settle"]
    response = csr_client.post(
        reverse("orders:panel", args=[guest_cart.pk, "billing"]),
        {
            "billing_same_as_ship": "1",
            "card_number": "4242424242424241",
            "exp_month": "1",
            "exp_year": "2031",
            "cvv": "123",
        },
        **HX,
    )
    assert response["HX-Retarget"] == "#panel-body"
    assert "not valid" in response.content.decode()


def test_review_and_submit_place_the_order(csr_client, ready_cart, mailoutbox):
    page = csr_client.get(reverse("orders:review", args=[ready_cart.pk])).content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    assert "data-ctrl-enter" in page and "Review order summary" in page
    url = reverse("orders:submit", args=[ready_cart.pk])
    response = csr_client.post(url, {"key": key, "expected_total": str(ready_cart.total)})
    assert response.status_code == 302
    order = Order.objects.get(pk=ready_cart.pk)
    assert order.status == OrderStatus.AUTHORIZED and order.number
    # a double click posts the same key again: same order, no second number
    again = csr_client.post(url, {"key": key, "expected_total": str(ready_cart.total)})
    assert again.status_code == 302
    placed = csr_client.get(response.url).content.decode()
    assert order.number in placed
    detail = csr_client.get(reverse("orders:order", args=[order.pk])).content.decode()
    assert "History" in detail and "Order placed" in detail


def test_find_orders_and_customer_orders(csr_client, ready_cart, customer, csr):
    from orders import services

    services.cart_create(actor=csr, customer=customer)
    page = csr_client.get(reverse("orders:find"), {"q": "gail@example.com"}).content.decode()
    assert str(ready_cart) in page
    page = csr_client.get(reverse("orders:find"), {"logon_id": "jane.roe"}).content.decode()
    assert "Jane Roe" in page
    page = csr_client.get(reverse("orders:find"), {"created_from": "nope"}).content.decode()
    assert "Use a date" in page
    partial = csr_client.get(reverse("orders:customer_orders", args=[customer.pk]))
    assert "Cart #" in partial.content.decode()


def test_a_user_without_the_desk_role_is_refused(client, nobody, guest_cart):
    client.force_login(nobody)
    assert client.get(reverse("orders:order", args=[guest_cart.pk])).status_code == 403


def test_adding_a_line_over_http_costs_the_same_queries_for_3_or_12_lines(
    csr_client, guest_cart, csr, ground
):
    """The htmx add-line response (claim, allocate, reprice, render the whole cart) does not
    grow with the cart: no query per line."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders import services
    from tests.catalog.factories import SKUFactory

    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    url = reverse("orders:line_add", args=[guest_cart.pk])
    counts = {}
    for n in range(1, 13):
        sku = SKUFactory()
        version = Order.objects.get(pk=guest_cart.pk).version
        with CaptureQueriesContext(connection) as queries:
            response = csr_client.post(url, {"sku": sku.code, "version": version}, **HX)
        assert response.status_code == 200 and sku.code in response.content.decode()
        counts[n] = len(queries)
    assert counts[3] == counts[12] <= 31, counts


def test_find_orders_links_to_every_order_needing_payment_attention(csr_client):
    """AVS reviews and failed captures alike: the Y link opens the payment-attention list."""
    page = csr_client.get(reverse("orders:find")).content.decode()
    link = re.search(r'<a href="([^"]+)" data-key="Y"', page)
    assert link and link.group(1) == reverse("fulfillment:attention")
    assert csr_client.get(link.group(1)).status_code == 200


def test_enter_before_the_scripts_load_still_adds_the_line(csr_client, guest_cart, sku):
    """Without htmx the item box is a plain form post: the line is added (or the error shown)
    and the order screen loads again."""
    url = reverse("orders:line_add", args=[guest_cart.pk])
    response = csr_client.post(url, {"sku": sku.code, "quantity": "2"})
    assert response.status_code == 302
    assert response.url == reverse("orders:order", args=[guest_cart.pk])
    assert OrderLine.objects.get(order=guest_cart).quantity == 2
    page = csr_client.post(url, {"sku": "NOPE", "quantity": "1"}, follow=True)
    assert "No SKU" in page.content.decode()


def test_only_the_first_empty_address_field_of_the_ship_to_panel_takes_the_cursor(
    csr_client, guest_cart
):
    panel = csr_client.get(reverse("orders:panel", args=[guest_cart.pk, "ship_to"]), **HX)
    focused = re.findall(r'<input name="(\w+)"[^>]*\bautofocus\b', panel.content.decode())
    assert focused == ["line1"]  # the guest's name is filled in already
    Order.objects.filter(pk=guest_cart.pk).update(guest_first_name="", guest_last_name="")
    panel = csr_client.get(reverse("orders:panel", args=[guest_cart.pk, "ship_to"]), **HX)
    focused = re.findall(r'<input name="(\w+)"[^>]*\bautofocus\b', panel.content.decode())
    assert focused == ["first_name"]


def test_a_card_typed_in_bill_and_pay_is_charged_even_when_a_stored_card_is_selected(
    csr, csr_client, customer, sku, ground
):
    from customers.models import PaymentMethod
    from orders import services
    from orders.models import OrderPayment

    stored = PaymentMethod.objects.create(
        customer=customer,
        gateway_token="tok_old",
        brand="visa",
        last4="1111",
        exp_month=1,
        exp_year=2030,
        is_default=True,
    )
    cart = services.cart_create(actor=csr, customer=customer)
    response = csr_client.post(
        reverse("orders:panel", args=[cart.pk, "billing"]),
        {
            "payment_method": stored.pk,
            "card_number": "4242 4242 4242 4242",
            "exp_month": "12",
            "exp_year": "2035",
            "cvv": "123",
        },
        **HX,
    )
    payment = OrderPayment.objects.filter(order=cart).latest("id")
    assert payment.last4 == "4242" and payment.stored_method_id is None
    assert f"{payment.label} will be charged" in response.content.decode()


def test_a_panel_field_over_its_limit_is_refused_at_the_field(csr_client, guest_cart):
    response = csr_client.post(
        reverse("orders:panel", args=[guest_cart.pk, "ship_to"]),
        {**ADDRESS, "postal_code": "9" * 500},
        **HX,
    )
    assert response["HX-Retarget"] == "#panel-body"
    assert "at most 20 characters" in response.content.decode()


def test_a_new_ship_to_or_billing_address_starts_with_the_guests_name(client, csr, guest_cart):
    client.force_login(csr)
    for panel in ("ship_to", "billing"):
        page = client.get(
            reverse("orders:panel", args=[guest_cart.pk, panel]), HTTP_HX_REQUEST="true"
        ).content.decode()
        assert 'name="first_name" id="f-first_name" value="Gail"' in page
        assert 'name="last_name" id="f-last_name" value="Guest"' in page

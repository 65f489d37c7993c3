"""Adding a line answers with only what changed (htmx out-of-band swaps): the new line, the
price cells of the lines whose price the add moved, the promotions and totals. When more
changed (a gift line, the first line of an empty cart) the whole cart is drawn again."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.models import Order
from pricing.loader import bump_rules_version
from tests.orders.conftest import ADDRESS
from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def priced(sku, sku2):
    prices = PriceListFactory(name="Base")
    PriceListEntryFactory(price_list=prices, sku=sku, price=Decimal("20.00"))
    PriceListEntryFactory(price_list=prices, sku=sku2, price=Decimal("5.00"))


def rows_in(body: str) -> dict[str, str]:
    return dict(re.findall(r'<tr id="line-(\d+)"[^>]*>(.*?)</tr>', body, re.S))


def add(client, cart, sku):
    version = Order.objects.get(pk=cart.pk).version
    url = reverse("orders:line_add", args=[cart.pk])
    return client.post(url, {"sku": sku.code, "quantity": "1", "version": version}, **HX)


def test_an_add_sends_the_new_line_and_the_totals_not_the_other_lines(
    csr, csr_client, guest_cart, sku, sku2, priced, ground
):
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code)

    response = add(csr_client, guest_cart, sku2)

    body = response.text
    new_line = guest_cart.lines.get(sku=sku2)
    assert response["HX-Reswap"] == "none"
    assert 'hx-swap-oob="beforeend:#cart-lines"' in body
    assert list(rows_in(body)) == [str(new_line.pk)]  # the first line did not change
    assert "PEN-GEL-B" in body and "NB-BLK-A5" not in body
    order = Order.objects.get(pk=guest_cart.pk)
    assert f'id="order-version" name="version" value="{order.version}"' in body
    assert re.search(r'<tr class="grand"><th>Total</th><td class="num">25\.00', body)


def test_a_line_whose_discount_the_add_earns_is_sent_again(
    csr, csr_client, guest_cart, sku, sku2, priced, ground
):
    PromotionFactory(
        name="Two items, 10% off", reward="product_percent", percent=Decimal("10"), min_quantity=2
    )
    bump_rules_version()
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code)
    first = guest_cart.lines.get()

    body = add(csr_client, guest_cart, sku2).text

    # its price cells and the names of its discounts, not its row
    assert list(rows_in(body)) == [str(sku2_line(guest_cart).pk)]
    assert f'<td class="num" id="line-{first.pk}-discount" hx-swap-oob="true">−2.00</td>' in body
    assert f'<td class="num" id="line-{first.pk}-total" hx-swap-oob="true">18.00</td>' in body
    why = re.search(
        rf'<span class="why muted" id="line-{first.pk}-why" hx-swap-oob="true"[^>]*>(.*?)</span>',
        body,
    )
    assert why and "Two items, 10% off" in why.group(1)
    promotions = re.search(r'<section class="promos".*?</section>', body, re.S)
    assert promotions and "Two items, 10% off" in promotions.group(0)  # the panel came too


def test_a_line_whose_share_of_an_order_discount_moved_gets_its_amounts_not_its_names(
    csr, csr_client, guest_cart, sku, sku2, priced, ground
):
    PromotionFactory(name="Three off the order", reward="order_fixed", amount=Decimal("3.00"))
    bump_rules_version()
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code)
    first = guest_cart.lines.get()

    body = add(csr_client, guest_cart, sku2).text

    # 3.00 shared by 20.00 and 5.00: the first line's part moves from 3.00 to 2.40
    assert f'<td class="num" id="line-{first.pk}-discount" hx-swap-oob="true">−2.40</td>' in body
    assert f'id="line-{first.pk}-why"' not in body  # "Three off the order" still, as shown
    new_row = rows_in(body)[str(sku2_line(guest_cart).pk)]
    assert "Three off the order" in new_row


def sku2_line(cart):
    return cart.lines.order_by("-pk").first()


def test_the_first_line_of_an_empty_cart_draws_the_whole_cart(
    csr, csr_client, guest_cart, sku, priced, ground
):
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)

    response = add(csr_client, guest_cart, sku)

    assert response["HX-Retarget"] == "#cart" and 'id="cart-lines"' in response.text

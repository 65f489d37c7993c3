"""Quote screens: the key on the cart screen, open quotes with time left, the quote with
convert (locked, and confirmed after expiry), copy, cancel, and the supervisors' report."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order, Quote, QuoteStatus
from orders.services import quotes
from tests.orders.conftest import make_ready

# The quotes tests' fixtures: prices, a center with stock.
from tests.orders.test_quotes import prices, stocked, toronto  # noqa: F401


@pytest.fixture
def cart(csr, sku, customer, prices, stocked):  # noqa: F811
    from orders import services

    cart = services.cart_create(actor=csr, customer=customer)
    return make_ready(cart, csr, sku, qty=2)


def test_the_cart_screen_has_the_quote_key_and_quoting_opens_the_quote(csr_client, cart):
    page = csr_client.get(f"/orders/{cart.pk}/").content.decode()
    assert f'hx-get="/orders/{cart.pk}/quote-box/"' in page
    box = csr_client.get(f"/orders/{cart.pk}/quote-box/").content.decode()
    assert 'data-key="E"' in box and "<kbd>E</kbd>" in box and 'value="7"' in box
    r = csr_client.post(f"/orders/{cart.pk}/quote/", {"days": "3"})
    quote = Quote.objects.get(order=cart)
    assert r.status_code == 302 and r.url == f"/orders/quotes/{quote.pk}/"
    page = csr_client.get(r.url).content.decode()
    assert quote.number in page and "2 d 23 h left" in page and "held" in page
    box = csr_client.get(f"/orders/{cart.pk}/quote-box/").content.decode()
    assert quote.number in box and "left" in box


def test_a_refused_quote_shows_why_on_the_cart(csr_client, cart):
    r = csr_client.post(f"/orders/{cart.pk}/quote/", {"days": "99"}, follow=True)
    assert "1 to 14 days" in r.content.decode()
    assert not Quote.objects.exists()


def test_open_quotes_of_the_customer_with_time_left(
    csr_client, csr, cart, customer, django_assert_max_num_queries
):
    quote = quotes.quote_create(actor=csr, order=cart, days=2)
    with django_assert_max_num_queries(6):
        r = csr_client.get(f"/orders/quotes/open/?customer={customer.pk}")
    html = r.content.decode()
    assert quote.number in html and re.search(r"1 d 23 h", html)
    listing = csr_client.get(f"/orders/customer/{customer.pk}/orders/").content.decode()
    assert f"/orders/quotes/open/?customer={customer.pk}" in listing


def test_convert_places_the_order_at_the_quoted_total(csr_client, csr, cart):
    quote = quotes.quote_create(actor=csr, order=cart)
    page = csr_client.get(f"/orders/quotes/{quote.pk}/").content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    r = csr_client.post(f"/orders/quotes/{quote.pk}/convert/", {"key": key})
    order = Order.objects.get(pk=cart.pk)
    assert r.status_code == 302 and r.url == f"/orders/{order.pk}/placed/"
    assert order.number and order.total == quote.total
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.CONVERTED


def test_an_expired_quote_shows_the_diff_and_places_on_confirmation(csr_client, csr, cart):
    from pricing.loader import bump_rules_version
    from pricing.models import PriceListEntry

    quote = quotes.quote_create(actor=csr, order=cart)
    PriceListEntry.objects.update(price=Decimal("14.10"))
    bump_rules_version()
    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    r = csr_client.post(f"/orders/quotes/{quote.pk}/convert/", {"key": "k1"})
    html = r.content.decode()
    assert r.status_code == 200 and "12.00 → 14.10: +4.20" in html
    total = re.search(r'name="confirmed_total" value="([0-9.]+)"', html).group(1)
    key = re.search(r'name="key" value="([0-9a-f]+)"', html).group(1)
    r = csr_client.post(
        f"/orders/quotes/{quote.pk}/convert/", {"key": key, "confirmed_total": total}
    )
    assert r.status_code == 302 and Order.objects.get(pk=cart.pk).total == Decimal(total)


def test_copy_and_cancel(csr_client, csr, cart):
    quote = quotes.quote_create(actor=csr, order=cart)
    r = csr_client.post(f"/orders/quotes/{quote.pk}/copy/")
    new = Order.objects.exclude(pk=cart.pk).get()
    assert r.url == f"/orders/{new.pk}/"
    csr_client.post(f"/orders/quotes/{quote.pk}/cancel/", {"reason": "no"})
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.CANCELED


def test_the_report_is_for_supervisors(
    client, csr_client, csr, supervisor, cart, django_assert_max_num_queries
):
    quote = quotes.quote_create(actor=csr, order=cart)
    assert csr_client.get("/orders/quotes/report/").status_code == 403
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        r = client.get("/orders/quotes/report/")
    assert r.status_code == 200 and quote.number in r.content.decode()
    assert str(quote.total) in r.content.decode()

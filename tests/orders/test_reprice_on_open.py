"""Opening a cart (screen or API) shows current prices: it is priced again when a rule changed
or when it was last priced long enough ago for a schedule, a coupon or a limit to have moved."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders import services
from orders.models import Order, OrderEvent
from pricing.loader import bump_rules_version
from pricing.models import PromotionCounter
from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory


@pytest.fixture
def spring_cart(guest_cart, csr, sku, ground):
    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("20.00"))
    spring = PromotionFactory(name="Spring sale", percent=Decimal("10"), limit_overall=5)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    cart = Order.objects.get(pk=guest_cart.pk)
    assert cart.total == Decimal("36.00")
    return cart, spring


def price_changes(csr, cart) -> list[str]:
    """What opening the cart said about its prices (not about its stock)."""
    changes = services.cart_reopen(actor=csr, order=cart)
    return [c for c in changes if c.startswith("Prices changed")]


def priced_minutes_ago(cart, minutes):
    Order.objects.filter(pk=cart.pk).update(modified_at=timezone.now() - timedelta(minutes=minutes))
    return Order.objects.get(pk=cart.pk)


def test_a_limit_reached_elsewhere_shows_when_the_cart_is_opened_again(spring_cart, csr):
    cart, spring = spring_cart
    PromotionCounter.objects.update_or_create(promotion=spring, defaults={"used": 5})

    # Opened again within the minute: nothing is read twice.
    assert price_changes(csr, cart) == []
    assert Order.objects.get(pk=cart.pk).total == Decimal("36.00")

    changes = price_changes(csr, priced_minutes_ago(cart, 2))
    assert changes == [
        "Prices changed since this cart was last priced: the total is now 40.00 CAD "
        "(was 36.00). Spring sale: All its uses are taken."
    ]
    assert Order.objects.get(pk=cart.pk).total == Decimal("40.00")
    assert OrderEvent.objects.filter(order=cart, event_type=437).count() == 1


def test_a_rule_change_reprices_the_cart_on_the_next_open(spring_cart, csr):
    cart, spring = spring_cart
    spring.percent = Decimal("25")
    spring.save()
    bump_rules_version()
    changes = price_changes(csr, Order.objects.get(pk=cart.pk))
    assert "Spring sale: −10.00 instead of −4.00." in changes[0]
    assert Order.objects.get(pk=cart.pk).total == Decimal("30.00")


def test_reading_a_cart_over_the_api_gives_current_totals(spring_cart, csr, api_client):
    cart, spring = spring_cart
    spring.ends_at = timezone.now() - timedelta(seconds=1)
    spring.save()
    priced_minutes_ago(cart, 5)
    api_client.force_authenticate(csr)
    body = api_client.get(f"/api/v1/carts/{cart.pk}/").json()
    assert body["total"] == "40.00" and body["discount_total"] == "0.00"
    assert body["version"] == cart.version + 1


def test_the_order_screen_says_what_changed(spring_cart, csr, client):
    cart, spring = spring_cart
    PromotionCounter.objects.update_or_create(promotion=spring, defaults={"used": 5})
    priced_minutes_ago(cart, 2)
    client.force_login(csr)
    page = client.get(f"/orders/{cart.pk}/").content.decode()
    assert "the total is now 40.00 CAD (was 36.00)" in page
    assert "Spring sale: All its uses are taken." in page

"""Quotes under concurrent workers (PostgreSQL): held units are never sold to another order,
the per-SKU cap holds between two CSRs, and two expiry workers give everything back once."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.events import EventType as E
from fulfillment.models import Inventory
from orders import services
from orders.models import OrderEvent, OrderLine, OrderStatus, Quote, QuoteStatus
from orders.services import quotes
from tests.concurrency import run_together
from tests.orders.conftest import make_ready

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def center(ground):
    from tests.fulfillment.factories import ArrangementFactory, CenterFactory

    center = CenterFactory(code="TOR")
    ArrangementFactory(center=center, shipping_method=ground)
    return center


def ready(csr, sku, name, qty):
    cart = services.cart_create(
        actor=csr, guest={"last_name": name.title(), "email": f"{name}@example.com"}
    )
    return make_ready(cart, csr, sku, qty=qty)


def test_held_units_are_never_sold_to_another_order(csr, sku, center):
    from fulfillment.sweep import sweep_stale_allocations
    from tests.fulfillment.factories import stock

    stock(sku, center, 3)
    quote = quotes.quote_create(actor=csr, order=ready(csr, sku, "quoted", 3))
    rivals = [ready(csr, sku, f"rival{i}", 2) for i in range(3)]
    later = timezone.now() + dt.timedelta(hours=3)
    # The rivals submit while two sweep workers look for stale allocations.
    _, errors = run_together(
        *[
            lambda cart=cart: services.submit_order(
                actor=csr, order=cart, idempotency_key=f"r{cart.pk}"
            )
            for cart in rivals
        ],
        lambda: sweep_stale_allocations(now=later),
        lambda: sweep_stale_allocations(now=later),
    )
    assert errors == []
    assert OrderLine.objects.get(order_id=quote.order_id).inventory_status == "allocated"
    # The caller says yes while the last rival tries again with a new key.
    _, errors = run_together(
        lambda: quotes.quote_convert(actor=csr, quote=quote.pk, idempotency_key="q"),
        lambda: services.reorder(actor=csr, order=rivals[0]),
    )
    assert errors == []
    line = OrderLine.objects.get(order_id=quote.order_id)
    assert line.order.status == OrderStatus.AUTHORIZED and line.inventory_status == "allocated"
    for cart in rivals:
        assert OrderLine.objects.get(order=cart).inventory_status == "backordered"
    inv = Inventory.objects.get(sku=sku)
    assert inv.allocated == inv.on_hand == 3
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.CONVERTED


def test_two_csrs_quoting_the_same_sku_stay_within_the_cap(csr, sku, center, settings):
    from tests.fulfillment.factories import stock

    settings.QUOTES_HOLD_CAP_PER_SKU = 3
    stock(sku, center, 10)
    carts = [ready(csr, sku, f"c{i}", 2) for i in range(2)]
    _, errors = run_together(
        *[lambda cart=cart: quotes.quote_create(actor=csr, order=cart) for cart in carts]
    )
    assert errors == []
    held = sorted(q.lines.get().held for q in Quote.objects.all())
    assert held == [0, 2]
    assert Inventory.objects.get(sku=sku).allocated == 2


def test_two_expiry_workers_release_everything_exactly_once(csr, sku, center):
    from pricing.models import PromotionCounter
    from tests.fulfillment.factories import stock
    from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory

    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("10.00"))
    promotion = PromotionFactory(name="Spring sale", limit_overall=50, percent=Decimal("10"))
    stock(sku, center, 100)
    made = [quotes.quote_create(actor=csr, order=ready(csr, sku, f"e{i}", 2)) for i in range(8)]
    assert Inventory.objects.get(sku=sku).allocated == 16
    assert PromotionCounter.objects.get(promotion=promotion).used == 8
    later = timezone.now() + dt.timedelta(days=8)
    counts, errors = run_together(
        lambda: quotes.expire_quotes(now=later), lambda: quotes.expire_quotes(now=later)
    )
    assert errors == [] and sum(counts) == 8
    assert Inventory.objects.get(sku=sku).allocated == 0
    assert PromotionCounter.objects.get(promotion=promotion).used == 0
    assert set(Quote.objects.values_list("status", flat=True)) == {QuoteStatus.EXPIRED}
    for quote in made:
        assert (
            OrderEvent.objects.filter(order_id=quote.order_id, event_type=E.QUOTE_EXPIRED).count()
            == 1
        )

"""Orders with real inventory: allocation on add, backorders, ATP, moving backorders, stock."""

import pytest

from orders import services
from orders.models import Order, OrderLine, OrderStatus
from tests.orders.conftest import ADDRESS, make_ready


@pytest.fixture
def toronto(db, ground):
    from tests.fulfillment.factories import ArrangementFactory, CenterFactory

    center = CenterFactory(code="TOR")
    ArrangementFactory(center=center, shipping_method=ground)
    return center


def test_lines_allocate_and_backorder_and_the_backorders_move(guest_cart, csr, sku, toronto):
    from tests.fulfillment.factories import stock

    stock(sku, toronto, 2)
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    line = services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    assert OrderLine.objects.get(pk=line.pk).inventory_status == "allocated"
    services.line_update(actor=csr, order=guest_cart, line_id=line.pk, quantity=5)
    assert OrderLine.objects.get(pk=line.pk).inventory_status == "backordered"
    new_order = services.backorders_move(actor=csr, order=guest_cart)
    assert OrderLine.objects.get(pk=line.pk).quantity == 2
    assert new_order.lines.get().quantity == 3 and new_order.status == OrderStatus.PENDING


def test_drop_backorders_trims_the_cart_and_reprices(guest_cart, csr, sku, toronto):
    from tests.fulfillment.factories import stock

    stock(sku, toronto, 1)
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    line = services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=4)
    services.atp_choice_set(actor=csr, order=guest_cart, choice="ship_available_drop")
    assert OrderLine.objects.get(pk=line.pk).quantity == 1


def test_a_backordered_order_is_placed_as_backordered(guest_cart, csr, sku, toronto):
    from tests.fulfillment.factories import stock

    stock(sku, toronto, 1)
    cart = make_ready(guest_cart, csr, sku, qty=3)
    result = services.submit_order(actor=csr, order=cart, idempotency_key="bo")
    assert result.placed and result.order.status == OrderStatus.BACKORDERED


def test_cancel_gives_the_stock_back(guest_cart, csr, sku, toronto):
    from fulfillment.models import Inventory
    from tests.fulfillment.factories import stock

    stock(sku, toronto, 5)
    cart = make_ready(guest_cart, csr, sku, qty=3)
    assert Inventory.objects.get(sku=sku).allocated == 3
    order = services.submit_order(actor=csr, order=cart, idempotency_key="c").order
    services.cancel_order(actor=csr, order=order)
    assert Inventory.objects.get(sku=sku).allocated == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELED


def test_a_declined_card_leaves_the_allocation_exactly_as_before(guest_cart, csr, sku, toronto):
    from fulfillment.models import Inventory, LineAllocation
    from tests.fulfillment.factories import stock

    stock(sku, toronto, 5)
    cart = make_ready(guest_cart, csr, sku, card="4000000000000002", qty=3)
    before = list(LineAllocation.objects.values("line_id", "kind", "quantity", "center_id"))
    result = services.submit_order(actor=csr, order=cart, idempotency_key="d")
    assert not result.placed
    assert list(LineAllocation.objects.values("line_id", "kind", "quantity", "center_id")) == before
    assert Inventory.objects.get(sku=sku).allocated == 3


def test_reopening_a_swept_cart_allocates_again_and_says_what_changed(
    client, guest_cart, csr, sku, toronto
):
    from datetime import timedelta

    from django.utils import timezone

    from fulfillment import sweep
    from fulfillment.models import Inventory, LineAllocation
    from tests.fulfillment.factories import stock

    stock(sku, toronto, 5)
    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    line = services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=3)
    LineAllocation.objects.filter(line=line).update(allocated_at=timezone.now() - timedelta(days=1))
    assert sweep.sweep_stale_allocations() == 1
    assert OrderLine.objects.get(pk=line.pk).inventory_status == "unallocated"
    assert Inventory.objects.get(sku=sku).allocated == 0

    client.force_login(csr)
    page = client.get(f"/orders/{guest_cart.pk}/").content.decode()

    assert OrderLine.objects.get(pk=line.pk).inventory_status == "allocated"
    assert Inventory.objects.get(sku=sku).allocated == 3
    assert "NB-BLK-A5: held again" in page
    assert client.get(f"/orders/{guest_cart.pk}/").content.decode().count("held again") == 0


def test_opening_a_cart_without_a_ship_to_leaves_its_lines_waiting_for_one(
    client, guest_cart, csr, sku, toronto
):
    from fulfillment.models import Inventory
    from tests.fulfillment.factories import stock

    stock(sku, toronto, 5)
    line = services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    assert line.inventory_status == "unallocated"  # no ship-to: it waits for one

    client.force_login(csr)
    page = client.get(f"/orders/{guest_cart.pk}/").content.decode()

    assert OrderLine.objects.get(pk=line.pk).inventory_status == "unallocated"
    assert Inventory.objects.get(sku=sku).allocated == 0
    assert "held again" not in page and "✓ 5 in stock TOR" in page


def test_the_avail_column_shows_what_each_line_holds(guest_cart, csr, sku, toronto):
    """A line that took the last units shows them as held, not 'none in stock'; a line
    waiting for a ship-to shows what it could get; backorders show their date."""
    import datetime as dt

    from orders.selectors import cart_lines
    from tests.catalog.factories import SKUFactory
    from tests.fulfillment.factories import expect, stock

    stock(sku, toronto, 2)
    waiting = services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=1)
    assert [ln.avail.text for ln in cart_lines(guest_cart)] == ["✓ 2 in stock TOR"]  # could take 2
    services.line_remove(actor=csr, order=guest_cart, line_id=waiting.pk)

    services.ship_to_add(actor=csr, order=guest_cart, address=ADDRESS)
    services.line_add(actor=csr, order=guest_cart, sku_code=sku.code, quantity=2)
    later = SKUFactory(code="LATER-1")
    stock(later, toronto, 1)
    arrives = expect(later, toronto, 10, days=7).expected_date
    services.line_add(actor=csr, order=guest_cart, sku_code=later.code, quantity=3)
    gone = SKUFactory(code="GONE-1")
    services.line_add(actor=csr, order=guest_cart, sku_code=gone.code, quantity=1)

    when = f"{arrives:%-d %b}" if isinstance(arrives, dt.date) else ""
    labels = {ln.sku.code: (ln.avail.state, ln.avail.text) for ln in cart_lines(guest_cart)}
    assert labels == {
        sku.code: ("ok", "✓ 2 held TOR"),
        "LATER-1": ("partial", f"◔ 1 now, 2 later on {when}"),
        "GONE-1": ("bad", "backordered, no date"),
    }


def test_backorders_moved_after_submit_keep_the_prices_sold_at(guest_cart, csr, sku, toronto):
    """The customer was quoted, and the card authorized for, the whole order: the two orders
    add up to it. Shipping stays with the first; the promotion use is counted once."""
    from decimal import Decimal

    from pricing.models import PromotionCounter, PromotionUsage
    from tests.fulfillment.factories import stock
    from tests.pricing.factories import (
        PriceListEntryFactory,
        PriceListFactory,
        PromotionFactory,
        ShippingRateFactory,
        TaxRateFactory,
    )

    PriceListEntryFactory(price_list=PriceListFactory(), sku=sku, price=Decimal("10.00"))
    promotion = PromotionFactory(name="Ten off", percent=Decimal("10"), limit_overall=100)
    ShippingRateFactory(method=toronto.arrangements.get().shipping_method)
    TaxRateFactory()
    stock(sku, toronto, 2)
    placed = services.submit_order(
        actor=csr, order=make_ready(guest_cart, csr, sku, qty=5), idempotency_key="split"
    ).order
    assert placed.status == OrderStatus.BACKORDERED and placed.discount_total == Decimal("5.00")
    line = placed.lines.get()

    moved = services.backorders_move(actor=csr, order=placed)

    source = Order.objects.get(pk=placed.pk)
    kept, later = source.lines.get(), moved.lines.get()
    assert (kept.quantity, later.quantity) == (2, 3)
    assert kept.unit_price == later.unit_price == line.unit_price
    assert kept.discount_total + later.discount_total == line.discount_total
    assert (kept.discount_total, later.discount_total) == (Decimal("2.00"), Decimal("3.00"))
    assert source.total + moved.total == placed.total
    assert source.tax_total + moved.tax_total == placed.tax_total
    assert (source.shipping_total, moved.shipping_total) == (placed.shipping_total, 0)
    assert moved.subtotal - moved.discount_total + moved.tax_total == moved.total
    assert moved.status == OrderStatus.BACKORDERED
    assert not PromotionUsage.objects.filter(order=moved).exists()
    assert PromotionUsage.objects.get(order=source).status == "final"
    assert PromotionCounter.objects.get(promotion=promotion).used == 1

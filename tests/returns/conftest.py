"""A shipped and captured order to return from, and the returns' reason codes."""

from decimal import Decimal

import pytest

from fulfillment.models import Release
from fulfillment.releases import run_release
from fulfillment.shipping import confirm_shipment
from orders.models import Order, OrderLine
from orders.pricing import reprice_order
from pricing import models as pricing_models
from pricing.loader import bump_rules_version
from returns.models import ReturnReason
from tests.catalog.factories import SKUFactory
from tests.fulfillment.factories import ArrangementFactory, CenterFactory, ShippingMethodFactory
from tests.fulfillment.factories import stock as put_in_stock
from tests.fulfillment.release_helpers import accepted_order
from tests.pricing.factories import PriceListEntryFactory, PriceListFactory, PromotionFactory


def ship_order(
    *, operations, lines, tax=Decimal("0.00"), shipping=Decimal("5.00"), email="gail@x.com"
):
    """lines: [(sku, quantity, line_total)]; every line ships, the payment is captured.

    The line totals stand for what the customer paid after discounts (as pricing stores them);
    `tax` is the order's tax on goods."""
    center = CenterFactory(code="TOR", name="Toronto", precedence=1)
    method = ShippingMethodFactory(code="ground")
    ArrangementFactory(center=center, shipping_method=method)
    for sku, quantity, _ in lines:
        put_in_stock(sku, center, quantity + 5)
    order = accepted_order(
        created_by=operations, method=method, lines=[(sku, q) for sku, q, _ in lines]
    )
    subtotal = Decimal("0")
    for sku, quantity, line_total in lines:
        line = OrderLine.objects.get(order=order, sku=sku)
        gross = line.unit_price * quantity
        OrderLine.objects.filter(pk=line.pk).update(
            line_total=line_total, discount_total=gross - line_total
        )
        subtotal += gross
    goods = sum((t for _, _, t in lines), Decimal("0"))
    Order.objects.filter(pk=order.pk).update(
        subtotal=subtotal,
        discount_total=subtotal - goods,
        shipping_total=shipping,
        tax_total=tax,
        total=goods + shipping + tax,
        guest_email=email,
        guest_first_name="Gail",
        guest_last_name="Guest",
    )
    run_release()
    release = Release.objects.get(order=order)
    confirm_shipment(actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1Z1")
    order.refresh_from_db()
    return order


def shipped_gift_order(*, operations):
    """A shipped order of 2 notebooks at 12.00 that earned "Buy 2 notebooks, get a case" (7.00);
    returns (order, notebook, case)."""
    notebook = SKUFactory(code="NB-A5", name="Notebook A5")
    case = SKUFactory(code="CASE-A5", name="Notebook case A5")
    prices = PriceListFactory()
    PriceListEntryFactory(price_list=prices, sku=notebook, price=Decimal("12.00"))
    PriceListEntryFactory(price_list=prices, sku=case, price=Decimal("7.00"))
    PromotionFactory(
        name="Buy 2 notebooks, get a case",
        reward=pricing_models.Reward.PRODUCT_GIFT,
        percent=None,
        min_quantity=2,
        gift_sku=case,
        limit_per_order=1,
        skus=[notebook],
    )
    bump_rules_version()
    center = CenterFactory(code="TOR", name="Toronto", precedence=1)
    method = ShippingMethodFactory(code="ground")
    ArrangementFactory(center=center, shipping_method=method)
    put_in_stock(notebook, center, 10)
    put_in_stock(case, center, 10)
    order = accepted_order(created_by=operations, method=method, lines=[(notebook, 2)])
    reprice_order(order=order)
    Order.objects.filter(pk=order.pk).update(guest_email="gail@x.com", guest_last_name="Guest")
    run_release()
    release = Release.objects.get(order=order)
    confirm_shipment(actor=operations, release_id=release.pk, carrier="UPS", tracking_number="1Z9")
    order.refresh_from_db()
    return order, notebook, case


@pytest.fixture
def reason(db):
    # get_or_create: a transactional test's flush removes the data migration's rows
    return ReturnReason.objects.get_or_create(code="damaged", defaults={"label": "Damaged"})[0]


@pytest.fixture
def skus(db):
    return SKUFactory(), SKUFactory()


@pytest.fixture
def shipped(db, operations, skus, django_capture_on_commit_callbacks):
    """Two notebooks at 10.00 (one 2.00 off), a case at 7.00; 2.70 tax on goods."""
    notebook, case = skus
    with django_capture_on_commit_callbacks(execute=True):
        order = ship_order(
            operations=operations,
            lines=[(notebook, 2, Decimal("18.00")), (case, 1, Decimal("7.00"))],
            tax=Decimal("2.70"),
        )
    return order


def order_line(order, sku):
    return OrderLine.objects.get(order=order, sku=sku)


@pytest.fixture
def gift_order(db, operations, django_capture_on_commit_callbacks):
    """A shipped order of 2 notebooks at 12.00 that earned "Buy 2 notebooks, get a case" (7.00)."""
    with django_capture_on_commit_callbacks(execute=True):
        return shipped_gift_order(operations=operations)

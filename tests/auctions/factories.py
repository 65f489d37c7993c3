"""Auctions' test data: a SKU in stock at a center, auctions through the services, bidders
(customers with an address and a stored card)."""

from datetime import timedelta

from django.utils import timezone

from auctions import services
from tests.catalog.factories import SKUFactory
from tests.customers.factories import AddressFactory, CustomerFactory, PaymentMethodFactory
from tests.fulfillment.factories import CenterFactory
from tests.fulfillment.factories import stock as put_in_stock


def lot(on_hand: int = 20):
    """(sku, center) with `on_hand` units in stock."""
    sku = SKUFactory()
    center = CenterFactory()
    put_in_stock(sku, center, on_hand)
    return sku, center


def auction(admin, *, sku=None, center=None, schedule=True, starts_in=-60, ends_in=3600, **rules):
    """An auction of `sku` at `center` (a fresh lot when not given), open now by default."""
    if sku is None:
        sku, center = lot()
    now = timezone.now()
    values = {
        "title": "Lot",
        "quantity": 1,
        "auction_type": "open_cry",
        "minimum_bid": "10.00",
        "increments": [["0", "1.00"], ["100", "5.00"]],
    }
    values.update(rules)
    found = services.create_auction(
        actor=admin,
        sku=sku,
        center=center,
        starts_at=now + timedelta(seconds=starts_in),
        ends_at=now + timedelta(seconds=ends_in),
        **values,
    )
    if schedule:
        found = services.schedule_auction(actor=admin, auction_id=found.pk)
    return found


def bidder(**kwargs):
    customer = CustomerFactory(**kwargs)
    address = AddressFactory(customer=customer)
    card = PaymentMethodFactory(customer=customer, billing_address=address)
    return customer, address, card


def bid(actor, found, who, **terms):
    customer, address, card = who
    return services.place_bid(
        actor=actor,
        auction_id=found.pk,
        customer_id=customer.pk,
        ship_to_id=address.pk,
        payment_method_id=card.pk,
        **terms,
    )

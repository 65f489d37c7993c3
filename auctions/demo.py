"""Demo auctions: an open-cry lot and a Dutch lot of in-stock demo SKUs, scheduled by the demo
store admin (the lots are reserved from ATP), with a bid and an autobid placed by the demo CSR
for demo customers who have an address and a card, so the screens have something to show.

Idempotent: nothing is made while any auction exists.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from auctions import services
from auctions.models import Auction
from core.app_data import DemoData
from customers.models import Customer
from fulfillment.models import Inventory


def _bidders():
    found = []
    for customer in Customer.objects.filter(is_enabled=True).order_by("pk")[:50]:
        address = customer.addresses.first()
        card = next((c for c in customer.payment_methods.all() if not c.is_expired()), None)
        if address is not None and card is not None:
            found.append((customer, address, card))
        if len(found) == 2:
            break
    return found


def load(log) -> None:
    if Auction.objects.exists():
        log("  kept the demo auctions")
        return
    users = get_user_model().objects
    admin, csr = users.filter(username="storeadmin").first(), users.filter(username="csr").first()
    stock = list(
        Inventory.objects.filter(on_hand__gte=F("allocated") + 20)
        .select_related("sku", "center")
        .order_by("sku__code")[:2]
    )
    if admin is None or csr is None or len(stock) < 2:
        log("  no demo store admin, CSR or stock: no demo auctions")
        return
    now = timezone.now()
    lots = [
        ("open_cry", 1, stock[0], timedelta(hours=6)),
        ("dutch", 10, stock[1], timedelta(days=2)),
    ]
    made = []
    for kind, quantity, row, length in lots:
        auction = services.create_auction(
            actor=admin,
            title=f"{row.sku.name} ({quantity} × {row.sku.code})",
            sku=row.sku,
            center=row.center,
            quantity=quantity,
            auction_type=kind,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + length,
            minimum_bid="5.00",
            increments=[["0", "0.50"], ["50", "2.00"]],
            closing_rule="extend",
            extend_minutes=5,
        )
        made.append(services.schedule_auction(actor=admin, auction_id=auction.pk))
        log(f"  auction {auction.pk}: {auction.title} ({kind})")
    bidders = _bidders()
    if len(bidders) == 2:
        (a, a_address, a_card), (b, b_address, b_card) = bidders
        common = {"actor": csr, "auction_id": made[0].pk}
        services.place_bid(
            **common,
            customer_id=a.pk,
            ship_to_id=a_address.pk,
            payment_method_id=a_card.pk,
            price="6.00",
        )
        services.place_bid(
            **common,
            customer_id=b.pk,
            ship_to_id=b_address.pk,
            payment_method_id=b_card.pk,
            max_price="20.00",
        )


# Lots come from the demo stock; bidders are demo customers.
DEMO = DemoData(load=load, after=("fulfillment", "customers"))

"""The demo auctions: two scheduled lots (reserved from stock) and bids, made once."""

from decimal import Decimal

from auctions import demo
from auctions.models import Auction, Bid
from core.roles import Role
from fulfillment.models import Inventory
from tests.auctions.factories import bidder, lot
from tests.conftest import make_staff


def test_demo_auctions_are_scheduled_with_bids_once(django_user_model):
    make_staff(django_user_model, "storeadmin", Role.STORE_ADMIN)
    make_staff(django_user_model, "csr", Role.CSR)
    lot(on_hand=30)
    lot(on_hand=30)
    bidder()
    bidder()
    demo.load(lambda _msg: None)
    demo.load(lambda _msg: None)
    assert sorted(Auction.objects.values_list("auction_type", "status")) == [
        ("dutch", "scheduled"),
        ("open_cry", "scheduled"),
    ]
    assert sorted(Inventory.objects.values_list("allocated", flat=True)) == [1, 10]
    assert Bid.objects.count() == 2
    assert Auction.objects.get(auction_type="open_cry").current_price == Decimal("6.50")


def test_no_demo_auctions_without_stock(db):
    demo.load(lambda _msg: None)
    assert not Auction.objects.exists()

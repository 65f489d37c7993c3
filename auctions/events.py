"""The auction's history: the one place that writes `AuctionEvent` rows (and status.py's bulk
of many bids' status changes at a close)."""

from auctions.event_types import AuctionEventType
from auctions.models import AuctionEvent


def record(auction_id: int, event_type: AuctionEventType, actor, bid_id=None, **data):
    return AuctionEvent.objects.create(
        auction_id=auction_id, bid_id=bid_id, event_type=int(event_type), actor=actor, data=data
    )

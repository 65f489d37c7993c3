"""Row locks of the auctions app. Every bid, withdrawal and close of one auction takes the
auction's row first (so bids of one auction take turns and each sees the standing the one
before it left); inventory rows come after it."""

from auctions.models import Auction
from core.errors import NotFound


def lock_auction(auction_id) -> Auction:
    found = Auction.objects.select_for_update(of=("self",)).filter(pk=auction_id).first()
    if found is None:
        raise NotFound("This auction does not exist.")
    return found

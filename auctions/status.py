"""The one writer of auctions' and bids' status: checks the transition tables
(auctions/workflow.py), writes the row and records the event."""

from django.utils import timezone

from auctions import events
from auctions.event_types import AuctionEventType as E
from auctions.models import Auction, Bid
from auctions.workflow import check_auction_transition, check_bid_transition


def set_auction_status(auction: Auction, target: str, actor, **data) -> None:
    check_auction_transition(auction.status, target)
    old = auction.status
    auction.status = target
    fields = {"status": target}
    if target == "closed":
        auction.closed_at = fields["closed_at"] = timezone.now()
    Auction.objects.filter(pk=auction.pk).update(**fields)
    events.record(auction.pk, E.AUCTION_STATUS_CHANGED, actor, old=old, new=target, **data)


def set_bid_status(bid: Bid, target: str, actor, event=None, **data) -> None:
    """`event`: the event that says why (withdrawn, replaced, ...); the status change otherwise."""
    check_bid_transition(bid.status, target)
    old = bid.status
    bid.status = target
    Bid.objects.filter(pk=bid.pk).update(status=target)
    events.record(
        bid.auction_id,
        event or E.AUCTION_STATUS_CHANGED,
        actor,
        bid.pk,
        old=old,
        new=target,
        **data,
    )

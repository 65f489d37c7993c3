"""The one writer of auctions' and bids' status: checks the transition tables
(auctions/workflow.py), writes the row and records the event."""

from django.utils import timezone

from auctions import events
from auctions.event_types import AuctionEventType as E
from auctions.models import Auction, AuctionEvent, Bid
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


def set_bids_status(bids: list[Bid], target: str, actor, **data) -> None:
    """Many bids at once (the losers at a close): each transition checked, one UPDATE and one
    bulk insert of their events."""
    if not bids:
        return
    for bid in bids:
        check_bid_transition(bid.status, target)
    Bid.objects.filter(pk__in=[b.pk for b in bids]).update(status=target)
    AuctionEvent.objects.bulk_create(
        AuctionEvent(
            auction_id=bid.auction_id,
            bid_id=bid.pk,
            event_type=int(E.AUCTION_STATUS_CHANGED),
            actor=actor,
            data={"old": bid.status, "new": target, **data},
        )
        for bid in bids
    )
    for bid in bids:
        bid.status = target

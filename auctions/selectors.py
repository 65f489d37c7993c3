"""Reads of the auctions app, shared by the screens and the API."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from auctions.models import (
    Auction,
    AuctionEvent,
    AuctionStatus,
    AuctionType,
    Bid,
    BidFlag,
    BidStatus,
)
from core.roles import Perm

LIST_LIMIT = 200


def auction_list(*, status: str = "") -> QuerySet[Auction]:
    found = Auction.objects.select_related("sku", "center", "leading_bid__customer")
    if status:
        found = found.filter(status=status)
    return found.order_by("ends_at", "id")


def auction_get(pk) -> Auction | None:
    return (
        Auction.objects.select_related("sku", "center", "leading_bid__customer")
        .filter(pk=pk)
        .first()
    )


def bids_hidden(auction: Auction, user) -> bool:
    """Sealed bids stay hidden until the close, except from supervisors and store admins."""
    return (
        auction.auction_type == AuctionType.SEALED
        and auction.status == AuctionStatus.SCHEDULED
        and not (user.has_perm(str(Perm.SUPERVISE)) or user.has_perm(str(Perm.MANAGE_STORE)))
    )


def auction_bids(auction: Auction, *, active_only: bool = False) -> QuerySet[Bid]:
    found = Bid.objects.filter(auction=auction).select_related("customer", "placed_by")
    if active_only:
        found = found.filter(status=BidStatus.ACTIVE)
    return found.order_by("-max_price", "placed_at", "id")


def customer_bids(customer_id: int) -> QuerySet[Bid]:
    return (
        Bid.objects.filter(customer_id=customer_id)
        .select_related("auction", "auction__sku")
        .order_by("-placed_at", "-id")
    )


def failed_bids() -> QuerySet[Bid]:
    """ "Manage order failed bid(s)": won bids whose order was refused (the payment-attention
    style list a CSR works through)."""
    return (
        Bid.objects.filter(status=BidStatus.FAILED)
        .select_related("auction", "auction__sku", "customer", "order", "payment_method")
        .order_by("placed_at", "id")
    )


def auction_events(auction: Auction) -> QuerySet[AuctionEvent]:
    return AuctionEvent.objects.filter(auction=auction).select_related("actor")


def time_left(auction: Auction, now=None) -> timedelta | None:
    """None when the auction is not taking bids (not started, ended, closed)."""
    now = now or timezone.now()
    if auction.status != AuctionStatus.SCHEDULED or now < auction.starts_at:
        return None
    return max(auction.ends_at - now, timedelta(0))


def time_left_label(auction: Auction, now=None) -> str:
    now = now or timezone.now()
    if auction.status != AuctionStatus.SCHEDULED:
        return auction.get_status_display()
    if now < auction.starts_at:
        return "not open yet"
    left = auction.ends_at - now
    if left <= timedelta(0):
        return "closing"
    hours, rest = divmod(int(left.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def open_flags() -> QuerySet[BidFlag]:
    """The supervisors' queue of suspicious bids, oldest first."""
    return (
        BidFlag.objects.filter(cleared_at__isnull=True)
        .select_related("auction", "bid", "bid__customer")
        .order_by("created_at", "id")
    )

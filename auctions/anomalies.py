""" "Check for anomalies": the store's rules (AuctionSettings, in the admin) look at each bid as
it lands and flag suspicious ones into the supervisors' queue; a supervisor clears a flag with
a note (and may withdraw the bid). Flags never refuse a bid: people decide."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from auctions import events
from auctions.event_types import AuctionEventType as E
from auctions.models import AuctionSettings, Bid, BidFlag, BidStatus
from core.errors import DomainError, NotFound
from core.permissions import require
from core.roles import Perm


def check_bid(bid: Bid, card, required: Decimal, actor) -> list[BidFlag]:
    """Run the rules on a bid just placed (inside place_bid's transaction)."""
    rules = AuctionSettings.current()
    flags = []
    if rules.flag_shared_card and card is not None:
        shared = (
            Bid.objects.filter(
                auction_id=bid.auction_id,
                status=BidStatus.ACTIVE,
                payment_method__brand=card.brand,
                payment_method__last4=card.last4,
                payment_method__exp_month=card.exp_month,
                payment_method__exp_year=card.exp_year,
            )
            .exclude(customer_id=bid.customer_id)
            .values_list("customer_id", flat=True)
            .first()
        )
        if shared is not None:
            flags.append(
                BidFlag(
                    rule=BidFlag.Rule.SHARED_CARD,
                    detail=f"Card …{card.last4} also bids for customer {shared}.",
                )
            )
    if rules.flag_above_percent and required > 0:
        limit = required * (100 + rules.flag_above_percent) / 100
        if bid.max_price > limit:
            flags.append(
                BidFlag(
                    rule=BidFlag.Rule.FAR_ABOVE,
                    detail=f"{bid.max_price} is more than {rules.flag_above_percent}% above "
                    f"the least it had to be ({required}).",
                )
            )
    for flag in flags:
        flag.auction_id, flag.bid_id = bid.auction_id, bid.pk
    if flags:
        BidFlag.objects.bulk_create(flags)
        for flag in flags:
            events.record(bid.auction_id, E.BID_FLAGGED, actor, bid.pk, rule=flag.rule)
    return flags


@transaction.atomic
def clear_flag(*, actor, flag_id, note: str) -> BidFlag:
    """A supervisor looked at the flag: cleared with a note (withdrawing is its own action)."""
    require(actor, Perm.SUPERVISE, "clear bid anomalies")
    if not (note or "").strip():
        raise DomainError("Say what you found.", field="note")
    flag = BidFlag.objects.select_for_update().filter(pk=flag_id).first()
    if flag is None:
        raise NotFound("This flag does not exist.")
    if flag.cleared_at is not None:
        raise DomainError("This flag was cleared already.")
    flag.cleared_by, flag.cleared_at, flag.clear_note = actor, timezone.now(), note.strip()
    flag.save(update_fields=["cleared_by", "cleared_at", "clear_note"])
    events.record(
        flag.auction_id, E.BID_FLAG_CLEARED, actor, flag.bid_id, rule=flag.rule, note=note
    )
    return flag

"""Closing auctions and turning winning bids into orders.

"Time to close auction automatically": the beat job (`close_due_auctions`, registered in the
core job registry) takes due auctions one at a time with `FOR UPDATE SKIP LOCKED`, so two
workers never close one auction twice and a killed worker's auction is simply taken again.
Closing assigns the winners (auctions/winners.py), marks bids won or lost, gives the unwon
quantity back to ATP and commits; then each winning bid becomes an order through the normal
orders services (cart, a line at the winning price, the bid's ship-to and card, submit_order
with a key per bid, so a retry never places two orders). A declined card leaves the bid on the
failed-bids list, where a CSR retries with another card (`retry_failed_bid`).

The orders are entered as the CSR who placed the winning bid (they carry the desk permission
the orders services check); the job's own audit rows have no actor.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from auctions import events, locks
from auctions.event_types import AuctionEventType as E
from auctions.models import Auction, AuctionStatus, Bid, BidStatus
from auctions.services import release_reservation
from auctions.status import set_auction_status, set_bid_status, set_bids_status
from auctions.winners import BidIn, assign_winners
from core.errors import DomainError
from core.jobs import heartbeat
from core.permissions import require
from core.roles import Perm
from orders import services as order_services
from orders.models import Order


def _take_due(now) -> Auction | None:
    """One due, scheduled auction nobody else is closing (locked until the caller commits)."""
    return (
        Auction.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=AuctionStatus.SCHEDULED, ends_at__lte=now)
        .order_by("ends_at", "id")
        .first()
    )


def _close_locked(auction: Auction, actor, *, forced: bool = False) -> list[int]:
    """Assign the winners of a locked auction and close it; returns the winning bids' ids."""
    bids = list(Bid.objects.filter(auction_id=auction.pk, status=BidStatus.ACTIVE))
    outcome = assign_winners(
        auction.auction_type,
        auction.quantity,
        [BidIn(b.pk, b.price, b.quantity, b.accept_partial, b.placed_at) for b in bids],
        auction.reserve_price,
    )
    awards = {a.bid_id: a for a in outcome.awards}
    set_bids_status([b for b in bids if b.pk not in awards], BidStatus.LOST, actor)
    for bid in bids:
        award = awards.get(bid.pk)
        if award is None:
            continue
        Bid.objects.filter(pk=bid.pk).update(won_quantity=award.quantity, won_price=award.price)
        set_bid_status(bid, BidStatus.WON, actor, quantity=award.quantity, price=str(award.price))
    Auction.objects.filter(pk=auction.pk).update(clearing_price=outcome.clearing_price)
    events.record(
        auction.pk,
        E.WINNERS_ASSIGNED,
        actor,
        winners=[
            {"bid": a.bid_id, "quantity": a.quantity, "price": str(a.price)}
            for a in awards.values()
        ],
        clearing_price=str(outcome.clearing_price) if outcome.clearing_price else None,
    )
    set_auction_status(auction, AuctionStatus.CLOSED, actor, forced=forced)
    release_reservation(auction, auction.quantity - outcome.total_quantity, actor, "not won")
    return list(awards)


def close_due_auctions(*, now=None, limit: int = 100) -> dict:
    """The job: close every due auction (each in its own transaction), then place the orders
    of every won bid that has none yet (this run's and any a killed run left behind)."""
    closed = 0
    for _ in range(limit):
        with transaction.atomic():
            auction = _take_due(now or timezone.now())
            if auction is None:
                break
            _close_locked(auction, None)
            closed += 1
        heartbeat()
    placed, failed = place_won_orders()
    return {"auctions": closed, "orders": placed, "failed": failed}


@transaction.atomic
def _force_close_locked(actor, auction_id) -> list[int]:
    auction = locks.lock_auction(auction_id)
    if auction.status != AuctionStatus.SCHEDULED:
        raise DomainError("Only a scheduled auction can be closed.")
    events.record(auction.pk, E.AUCTION_FORCE_CLOSED, actor, ends_at=str(auction.ends_at))
    return _close_locked(auction, actor, forced=True)


def force_close(*, actor, auction_id) -> dict:
    """ "Force-close auction": a supervisor closes it now; winners' orders are placed at once."""
    require(actor, Perm.SUPERVISE, "force-close auctions")
    winners = _force_close_locked(actor, auction_id)
    placed, failed = place_won_orders(bid_ids=winners)
    return {"winners": len(winners), "orders": placed, "failed": failed}


def place_won_orders(*, bid_ids=None) -> tuple[int, int]:
    """Each won bid without a placed order: its order (created once), submitted once. Returns
    (placed, failed) by this run; a bid another worker placed meanwhile counts in neither."""
    pending = Bid.objects.filter(status=BidStatus.WON).order_by("id")
    if bid_ids is not None:
        pending = pending.filter(pk__in=bid_ids)
    placed = failed = 0
    for bid_id in pending.values_list("id", flat=True):
        outcome = place_won_order(bid_id=bid_id)
        placed += outcome is True
        failed += outcome is False
        heartbeat()
    return placed, failed


@transaction.atomic
def _cart_for(bid_id: int) -> tuple[Bid, Order] | None:
    """The won bid's order, created once: the won quantity leaves the reservation and the line
    allocates it at once, at the winning price, to the bid's ship-to, paid by the bid's card."""
    head = Bid.objects.filter(pk=bid_id).values_list("auction_id", flat=True).first()
    auction = locks.lock_auction(head)
    bid = Bid.objects.select_related("customer", "payment_method", "placed_by").get(pk=bid_id)
    if bid.status not in (BidStatus.WON, BidStatus.FAILED):
        return None
    if bid.order_id is not None:
        return bid, bid.order
    actor = bid.placed_by
    release_reservation(auction, bid.won_quantity, None, f"won by bid {bid.pk}")
    order = order_services.cart_create(actor=actor, customer=bid.customer)
    ship_to = order_services.ship_to_add(
        actor=actor, order=order, address_id=bid.ship_to_id, assign_lines=True
    )
    order_services.line_add(
        actor=actor,
        order=order,
        sku_code=auction.sku.code,
        quantity=bid.won_quantity,
        ship_to_id=ship_to.pk,
        agreed_unit_price=bid.won_price,
    )
    card = bid.payment_method
    if card is not None and card.billing_address_id:
        order_services.billing_address_set(
            actor=actor, order=order, address_id=card.billing_address_id
        )
    else:
        order_services.billing_address_set(actor=actor, order=order, same_as_ship_to=True)
    if card is not None:
        order_services.payment_set_stored(actor=actor, order=order, payment_method_id=card.pk)
    Bid.objects.filter(pk=bid.pk).update(order=order)
    bid.order = order
    events.record(auction.pk, E.WINNING_ORDER_CREATED, None, bid.pk, order=order.pk)
    return bid, order


def place_won_order(*, bid_id: int) -> bool | None:
    """ "Create order from winning bid": True when this call placed the order; False when it was
    refused (declined card, a problem with the order: the bid goes on the failed list with the
    reason); None when there was nothing to do (placed by another worker meanwhile)."""
    try:
        found = _cart_for(bid_id)
        if found is None:
            return None
        bid, order = found
        key = f"auction-bid-{bid.pk}-{bid.payment_method_id or 0}"
        result = order_services.submit_order(actor=bid.placed_by, order=order, idempotency_key=key)
        ok, message = result.placed, result.message
    except DomainError as exc:
        ok, message = False, exc.message
    with transaction.atomic():
        bid = Bid.objects.select_for_update().get(pk=bid_id)
        if bid.status not in (BidStatus.WON, BidStatus.FAILED):
            return None  # another worker finished it (the submit key made its submit ours too)
        if ok:
            Bid.objects.filter(pk=bid.pk).update(order_error="")
            set_bid_status(
                bid, BidStatus.ORDERED, None, E.WINNING_ORDER_CREATED, order=bid.order_id
            )
        else:
            Bid.objects.filter(pk=bid.pk).update(order_error=(message or "")[:255])
            set_bid_status(bid, BidStatus.FAILED, None, E.WINNING_ORDER_FAILED, reason=message)
    return ok


def retry_failed_bid(*, actor, bid_id, payment_method_id) -> bool:
    """ "Manage order failed bid(s)": a CSR puts another of the customer's cards on the won
    bid's order and submits it again."""
    require(actor, Perm.USE_DESK, "retry failed winning bids")
    with transaction.atomic():
        bid = Bid.objects.select_for_update().filter(pk=bid_id).first()
        if bid is None or bid.status != BidStatus.FAILED:
            raise DomainError("Only a failed winning bid can be retried.")
        if bid.order_id is not None:
            order_services.payment_set_stored(
                actor=actor, order=bid.order, payment_method_id=payment_method_id
            )
        Bid.objects.filter(pk=bid.pk).update(payment_method_id=payment_method_id, placed_by=actor)
    return place_won_order(bid_id=bid_id) is True

"""Write paths of the auctions app: create and schedule auctions (their quantity reserved from
ATP through fulfillment.inventory), bids and autobids with proxy bidding, withdrawals, the
outbid e-mail. Closing and the winners' orders are in auctions/closing.py.

Every function checks the actor's permission, runs in one transaction, takes the auction's row
lock first (auctions/locks.py) and records AuctionEvents.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from auctions import anomalies, events, locks, rules, tasks
from auctions.event_types import AuctionEventType as E
from auctions.models import Auction, AuctionStatus, AuctionType, Bid, BidStatus, ClosingRule
from auctions.status import set_auction_status, set_bid_status
from auctions.workflow import EDITABLE
from catalog.models import SKU
from core.errors import DomainError, NotFound
from core.money import quantize
from core.permissions import require
from core.roles import Perm
from customers.models import Address, Customer, PaymentMethod
from fulfillment.inventory.reservations import release_reserved, reserve_stock
from fulfillment.models import FulfillmentCenter


def _money(value, field: str) -> Decimal:
    try:
        amount = quantize(Decimal(str(value)), settings.STORE_CURRENCY)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise DomainError("Enter an amount like 12.50.", field=field) from exc
    if amount <= 0:
        raise DomainError("Enter an amount greater than 0.", field=field)
    return amount


def _whole(value, field: str, minimum: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError("Enter a whole number.", field=field) from exc
    if number < minimum:
        raise DomainError(f"Enter {minimum} or more.", field=field)
    return number


# --- auctions (store admins) -----------------------------------------------------------------


@transaction.atomic
def create_auction(
    *,
    actor,
    title: str,
    sku,
    center,
    quantity,
    auction_type: str,
    starts_at: datetime,
    ends_at: datetime,
    minimum_bid="0.01",
    minimum_quantity=1,
    reserve_price=None,
    increments=None,
    closing_rule: str = ClosingRule.FIXED,
    extend_minutes: int = 0,
) -> Auction:
    """ "Specify auction type", "Specify bid control rule detail": a draft auction."""
    require(actor, Perm.MANAGE_STORE, "create auctions")
    if auction_type not in AuctionType.values:
        raise DomainError("Choose open cry, sealed bid or Dutch.", field="auction_type")
    if closing_rule not in ClosingRule.values:
        raise DomainError("Choose a fixed end or an extending one.", field="closing_rule")
    if not starts_at or not ends_at or ends_at <= starts_at:
        raise DomainError("The auction must end after it starts.", field="ends_at")
    sku_row = sku if isinstance(sku, SKU) else SKU.objects.filter(code__iexact=str(sku)).first()
    if sku_row is None:
        raise NotFound(f"There is no SKU {sku}.", field="sku")
    center_row = (
        center
        if isinstance(center, FulfillmentCenter)
        else FulfillmentCenter.objects.filter(code__iexact=str(center)).first()
    )
    if center_row is None:
        raise NotFound(f"There is no fulfillment center {center}.", field="center")
    qty = _whole(quantity, "quantity")
    min_qty = _whole(minimum_quantity, "minimum_quantity")
    if min_qty > qty:
        raise DomainError("The minimum quantity exceeds the lot.", field="minimum_quantity")
    auction = Auction.objects.create(
        title=(title or "").strip() or f"{sku_row.code} × {qty}",
        sku=sku_row,
        center=center_row,
        quantity=qty,
        auction_type=auction_type,
        minimum_bid=_money(minimum_bid, "minimum_bid"),
        minimum_quantity=min_qty,
        reserve_price=_money(reserve_price, "reserve_price") if reserve_price else None,
        increments=rules.parse_increments(increments),
        starts_at=starts_at,
        ends_at=ends_at,
        closing_rule=closing_rule,
        extend_minutes=_whole(extend_minutes or 0, "extend_minutes", minimum=0),
        created_by=actor,
    )
    events.record(
        auction.pk,
        E.AUCTION_CREATED,
        actor,
        type=auction_type,
        sku=sku_row.code,
        center=center_row.code,
        quantity=qty,
    )
    return auction


@transaction.atomic
def schedule_auction(*, actor, auction_id) -> Auction:
    """ "Submit auction creation": the lot is reserved from normal sale (ATP) and the auction
    takes bids from its start time."""
    require(actor, Perm.MANAGE_STORE, "schedule auctions")
    auction = locks.lock_auction(auction_id)
    if auction.status not in EDITABLE:
        raise DomainError("This auction is scheduled already.")
    reserve_stock(
        actor=actor,
        sku_id=auction.sku_id,
        center_id=auction.center_id,
        quantity=auction.quantity,
        reference=f"auction:{auction.pk}",
    )
    Auction.objects.filter(pk=auction.pk).update(reserved_quantity=auction.quantity)
    auction.reserved_quantity = auction.quantity
    events.record(auction.pk, E.AUCTION_QUANTITY_RESERVED, actor, quantity=auction.quantity)
    set_auction_status(auction, AuctionStatus.SCHEDULED, actor)
    return auction


def release_reservation(auction: Auction, quantity: int, actor, why: str) -> None:
    """Give `quantity` of the auction's reservation back to ATP (under the auction's lock)."""
    quantity = min(quantity, auction.reserved_quantity)
    if quantity <= 0:
        return
    release_reserved(
        actor=actor,
        sku_id=auction.sku_id,
        center_id=auction.center_id,
        quantity=quantity,
        reference=f"auction:{auction.pk}",
    )
    auction.reserved_quantity -= quantity
    Auction.objects.filter(pk=auction.pk).update(reserved_quantity=auction.reserved_quantity)
    events.record(auction.pk, E.AUCTION_QUANTITY_RELEASED, actor, quantity=quantity, why=why)


@transaction.atomic
def cancel_auction(*, actor, auction_id, reason: str) -> Auction:
    require(actor, Perm.MANAGE_STORE, "cancel auctions")
    if not (reason or "").strip():
        raise DomainError("Say why the auction is canceled.", field="reason")
    auction = locks.lock_auction(auction_id)
    if auction.bids.filter(status=BidStatus.ACTIVE).exists():
        raise DomainError("This auction has bids; close it instead.")
    set_auction_status(auction, AuctionStatus.CANCELED, actor, reason=reason.strip())
    release_reservation(auction, auction.reserved_quantity, actor, "canceled")
    return auction


# --- bids (CSRs) -----------------------------------------------------------------------------


def _bid_parties(customer_id, ship_to_id, payment_method_id, today):
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Pick a registered customer.", field="customer")
    if not customer.is_enabled:
        raise DomainError("This customer's account is disabled.", field="customer")
    ship_to = Address.objects.filter(pk=ship_to_id, customer=customer).first()
    if ship_to is None:
        raise DomainError("Pick one of the customer's addresses to ship to.", field="ship_to")
    card = PaymentMethod.objects.filter(pk=payment_method_id, customer=customer).first()
    if card is None:
        raise DomainError("Pick one of the customer's stored cards.", field="payment_method")
    if card.is_expired(today):
        raise DomainError("This card has expired; pick another.", field="payment_method")
    return customer, ship_to, card


def _open_for_bids(auction: Auction, now: datetime) -> None:
    if auction.status != AuctionStatus.SCHEDULED:
        raise DomainError("This auction does not take bids (it is not scheduled).")
    if now < auction.starts_at:
        raise DomainError(f"This auction opens at {timezone.localtime(auction.starts_at):%c}.")
    if now >= auction.ends_at:
        raise DomainError("This auction has ended.")


def minimum_next_bid(auction: Auction) -> Decimal:
    """What a new bid must reach now: the minimum bid, or (open cry) the standing price plus
    its band's increment."""
    if auction.auction_type != AuctionType.OPEN_CRY or auction.current_price is None:
        return auction.minimum_bid
    return auction.current_price + rules.increment_for(auction.increments, auction.current_price)


def _standing(auction: Auction) -> list[Bid]:
    """The two highest maxima among active bids (one customer, one active bid)."""
    return list(
        Bid.objects.filter(auction_id=auction.pk, status=BidStatus.ACTIVE).order_by(
            "-max_price", "placed_at", "id"
        )[:2]
    )


def _recompute_standing(auction: Auction, actor) -> tuple[Bid | None, dict[int, Decimal]]:
    """Open cry proxy bidding: the highest maximum leads; an autobid stands at the runner-up's
    maximum plus one increment (capped at its own maximum), or at the minimum bid alone; the
    runner-up autobid went up to its maximum. Writes only prices that changed; returns the
    leader and the new prices by bid id."""
    top_two = _standing(auction)
    if not top_two:
        auction.current_price, auction.leading_bid = None, None
        return None, {}
    top = top_two[0]
    second = top_two[1] if len(top_two) > 1 else None
    changed = []
    if second is not None and second.is_autobid and second.price != second.max_price:
        second.price = second.max_price
        changed.append(second)
    if top.is_autobid:
        if second is not None:
            step = rules.increment_for(auction.increments, second.max_price)
            price = min(top.max_price, second.max_price + step)
        else:
            price = min(top.max_price, auction.minimum_bid)
        if price != top.price:
            old, top.price = top.price, price
            changed.append(top)
            events.record(auction.pk, E.AUTOBID_RAISED, actor, top.pk, old=str(old), new=str(price))
    for bid in changed:
        Bid.objects.filter(pk=bid.pk).update(price=bid.price)
    auction.current_price, auction.leading_bid = top.price, top
    return top, {bid.pk: bid.price for bid in changed}


def _notify_outbid(bid_id: int | None) -> None:
    if bid_id is not None:
        transaction.on_commit(lambda: tasks.send_outbid_email.delay(bid_id))


@transaction.atomic
def place_bid(
    *,
    actor,
    auction_id,
    customer_id,
    price=None,
    max_price=None,
    quantity=1,
    accept_partial: bool = False,
    ship_to_id=None,
    payment_method_id=None,
    now: datetime | None = None,
) -> Bid:
    """ "Create bid" (a price) or "Create autobid" (`max_price`): validated against the rules
    as they stand when the bid lands (under the auction's row lock); "Check for bid override":
    the customer who led before and no longer does gets the outbid e-mail."""
    require(actor, Perm.USE_DESK, "place bids")
    now = now or timezone.now()
    is_autobid = max_price not in (None, "")
    amount = _money(max_price if is_autobid else price, "max_price" if is_autobid else "price")
    qty = _whole(quantity, "quantity")
    customer, ship_to, card = _bid_parties(
        customer_id, ship_to_id, payment_method_id, timezone.localdate(now)
    )
    auction = locks.lock_auction(auction_id)
    _open_for_bids(auction, now)
    if is_autobid and auction.auction_type != AuctionType.OPEN_CRY:
        raise DomainError("Autobids are for open cry auctions.", field="max_price")
    if qty < auction.minimum_quantity or qty > auction.quantity:
        raise DomainError(
            f"Bid for {auction.minimum_quantity} to {auction.quantity} units.", field="quantity"
        )
    required = minimum_next_bid(auction)
    if amount < required:
        raise DomainError(
            f"The bid must be at least {required} now.",
            field="max_price" if is_autobid else "price",
        )
    old_leader = auction.leading_bid_id
    for previous in Bid.objects.filter(
        auction_id=auction.pk, customer=customer, status=BidStatus.ACTIVE
    ):
        set_bid_status(previous, BidStatus.REPLACED, actor, E.BID_REPLACED)
    bid = Bid.objects.create(
        auction=auction,
        customer=customer,
        price=required if is_autobid else amount,
        max_price=amount,
        is_autobid=is_autobid,
        quantity=qty,
        accept_partial=bool(accept_partial),
        ship_to=ship_to,
        payment_method=card,
        placed_by=actor,
        placed_at=now,
    )
    events.record(
        auction.pk,
        E.AUTOBID_PLACED if is_autobid else E.BID_PLACED,
        actor,
        bid.pk,
        customer=customer.pk,
        price=str(bid.price),
        max_price=str(amount),
        quantity=qty,
    )
    anomalies.check_bid(bid, card, required, actor)
    fields = {"bid_count": auction.bid_count + 1}
    if auction.auction_type == AuctionType.OPEN_CRY:
        leader, moved = _recompute_standing(auction, actor)
        bid.price = moved.get(bid.pk, bid.price)  # the proxy may have moved it
        fields.update(current_price=auction.current_price, leading_bid=leader)
        if old_leader and leader and old_leader != leader.pk:
            previous_leader = Bid.objects.filter(pk=old_leader).first()
            if previous_leader is not None and previous_leader.customer_id != leader.customer_id:
                _notify_outbid(old_leader)
                events.record(auction.pk, E.BID_OUTBID, None, old_leader, by=leader.pk)
    new_end = rules.extended_end(auction.ends_at, now, auction.closing_rule, auction.extend_minutes)
    if new_end is not None:
        fields["ends_at"] = new_end
        events.record(auction.pk, E.AUCTION_EXTENDED, actor, bid.pk, old=str(auction.ends_at))
        auction.ends_at = new_end
    Auction.objects.filter(pk=auction.pk).update(**fields)
    auction.bid_count += 1
    bid.auction = auction
    return bid


@transaction.atomic
def withdraw_bid(*, actor, bid_id, reason: str) -> Bid:
    """ "Withdraw participant's bid(s)": a supervisor, with a reason, before the close; the
    standing is recomputed (an autobid under it may lead again)."""
    require(actor, Perm.SUPERVISE, "withdraw bids")
    if not (reason or "").strip():
        raise DomainError("Say why the bid is withdrawn.", field="reason")
    head = Bid.objects.filter(pk=bid_id).values_list("auction_id", flat=True).first()
    if head is None:
        raise NotFound("This bid does not exist.")
    auction = locks.lock_auction(head)
    bid = Bid.objects.get(pk=bid_id)
    if bid.status != BidStatus.ACTIVE:
        raise DomainError("Only an active bid can be withdrawn.")
    if auction.status != AuctionStatus.SCHEDULED:
        raise DomainError("The auction is closed; its bids cannot be withdrawn.")
    Bid.objects.filter(pk=bid.pk).update(withdrawn_reason=reason.strip(), withdrawn_by=actor)
    set_bid_status(bid, BidStatus.WITHDRAWN, actor, E.BID_WITHDRAWN, reason=reason.strip())
    if auction.auction_type == AuctionType.OPEN_CRY:
        leader, _moved = _recompute_standing(auction, actor)
        Auction.objects.filter(pk=auction.pk).update(
            current_price=auction.current_price, leading_bid=leader
        )
    return bid


def outbid_email_send(*, bid_id: int) -> bool:
    """The outbid e-mail, once per bid (claimed by outbid_emailed_at). False when sent already,
    when the bid leads again, or when the customer has no e-mail address."""
    with transaction.atomic():
        claimed = Bid.objects.filter(pk=bid_id, outbid_emailed_at__isnull=True).update(
            outbid_emailed_at=timezone.now()
        )
        if not claimed:
            return False
        bid = Bid.objects.select_related("auction", "auction__sku", "customer").get(pk=bid_id)
        if bid.auction.leading_bid_id == bid.pk or not bid.customer.email:
            return False
        body = render_to_string(
            "auctions/email/outbid.txt",
            {"bid": bid, "auction": bid.auction, "store_name": settings.STORE_NAME},
        )
        send_mail(
            f"You have been outbid: {bid.auction.title} — {settings.STORE_NAME}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [bid.customer.email],
        )  # a failure raises: the claim rolls back and the task retries
        events.record(bid.auction_id, E.OUTBID_EMAILED, None, bid.pk, to=bid.customer.email)
    return True

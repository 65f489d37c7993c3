"""Auctions: a quantity of one SKU from one fulfillment center, sold by open cry, sealed bid or
Dutch auction; the bids and autobids CSRs place for customers; the audit trail.

The rows only hold their own invariants; every write is in auctions/services.py (bids) and
auctions/closing.py (closing and winners' orders), and every status change goes through the
transition tables in auctions/workflow.py.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from auctions.event_types import AuctionEventType
from core.models import AuditEvent

MONEY = {"max_digits": 14, "decimal_places": 2}


class AuctionType(models.TextChoices):
    OPEN_CRY = "open_cry", "Open cry (ascending, bids visible)"
    SEALED = "sealed", "Sealed bid (hidden until close)"
    DUTCH = "dutch", "Dutch (several units, uniform price)"


class ClosingRule(models.TextChoices):
    FIXED = "fixed", "Close at the end time"
    EXTEND = "extend", "Extend after a late bid"


class AuctionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled (quantity reserved)"
    CLOSED = "closed", "Closed"
    CANCELED = "canceled", "Canceled"


class BidStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REPLACED = "replaced", "Replaced by a newer bid"
    WITHDRAWN = "withdrawn", "Withdrawn"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    ORDERED = "ordered", "Won, order placed"
    FAILED = "failed", "Won, order failed (payment)"


class Auction(models.Model):
    title = models.CharField(max_length=200)
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="auctions")
    center = models.ForeignKey(
        "fulfillment.FulfillmentCenter", on_delete=models.PROTECT, related_name="auctions"
    )
    quantity = models.PositiveIntegerField()
    auction_type = models.CharField(max_length=10, choices=AuctionType.choices)
    currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    # Bid control rules.
    minimum_bid = models.DecimalField(**MONEY, default=Decimal("0.01"))
    minimum_quantity = models.PositiveIntegerField(default=1)
    reserve_price = models.DecimalField(**MONEY, null=True, blank=True)
    # Open cry: [[from price, increment], ...] by ascending price; the band a price falls in
    # gives the minimum raise above it. Empty: 1.00 everywhere.
    increments = models.JSONField(default=list, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    closing_rule = models.CharField(
        max_length=10, choices=ClosingRule.choices, default=ClosingRule.FIXED
    )
    extend_minutes = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=AuctionStatus.choices, default=AuctionStatus.DRAFT, db_index=True
    )
    # What the auction holds from the center's ATP (set when scheduled; given back at close).
    reserved_quantity = models.PositiveIntegerField(default=0)
    # Open cry: the standing price and bid; kept by services under the auction's row lock.
    current_price = models.DecimalField(**MONEY, null=True, blank=True)
    leading_bid = models.ForeignKey(
        "auctions.Bid", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bid_count = models.PositiveIntegerField(default=0)
    clearing_price = models.DecimalField(**MONEY, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auctions_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ends_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="auctions_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="auctions_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Auction {self.pk}: {self.title}"


class Bid(models.Model):
    """One bid or autobid of a customer, placed by a CSR (or through the API).

    `price` is what the bid stands at (an autobid's proxy raises it up to `max_price`); a plain
    bid has `max_price == price`. A customer has at most one active bid per auction: a new one
    replaces the old.
    """

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="bids")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="auction_bids"
    )
    price = models.DecimalField(**MONEY)
    max_price = models.DecimalField(**MONEY)
    is_autobid = models.BooleanField(default=False)
    quantity = models.PositiveIntegerField(default=1)
    accept_partial = models.BooleanField(default=False)
    # The eventual order's ship-to and card (a stored, tokenized card of the customer).
    ship_to = models.ForeignKey(
        "customers.Address", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment_method = models.ForeignKey(
        "customers.PaymentMethod", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=BidStatus.choices, default=BidStatus.ACTIVE, db_index=True
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    withdrawn_reason = models.CharField(max_length=255, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    won_quantity = models.PositiveIntegerField(default=0)
    won_price = models.DecimalField(**MONEY, null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order_error = models.CharField(max_length=255, blank=True)
    # "Check for bid override": the outbid e-mail goes once per bid (claimed by this column).
    outbid_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["auction_id", "-max_price", "placed_at", "id"]
        indexes = [
            # the standing: the two highest maxima among active bids (the proxy's inputs)
            models.Index(
                fields=["auction", "-max_price", "placed_at", "id"],
                condition=Q(status="active"),
                name="auctions_bid_standing",
            ),
            models.Index(fields=["auction", "customer", "status"], name="auctions_bid_customer"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="auctions_bid_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(max_price__gte=models.F("price")), name="auctions_bid_max_gte_price"
            ),
            models.UniqueConstraint(
                fields=["auction", "customer"],
                condition=Q(status="active"),
                name="auctions_one_active_bid_per_customer",
            ),
        ]

    def __str__(self) -> str:
        kind = "autobid" if self.is_autobid else "bid"
        return f"{kind} {self.price} × {self.quantity} by {self.customer_id}"


class AuctionSettings(models.Model):
    """The store's anomaly rules for bidding: one row (pk=1), edited in the admin."""

    flag_shared_card = models.BooleanField(
        default=True,
        help_text="Flag a bid whose card (brand, last 4, expiry) another customer bids with "
        "on the same auction: one person's many accounts.",
    )
    flag_above_percent = models.PositiveIntegerField(
        default=50,
        help_text="Flag a bid (or an autobid's maximum) this many percent above the least it "
        "had to be; 0 turns the rule off.",
    )

    class Meta:
        verbose_name = "auction settings"
        verbose_name_plural = "auction settings"

    def __str__(self) -> str:
        return "Auction anomaly rules"

    @classmethod
    def current(cls) -> "AuctionSettings":
        row = cls.objects.filter(pk=1).first()
        return row or cls(pk=1)


class BidFlag(models.Model):
    """ "Check for anomalies": a suspicious bid waiting in the supervisors' queue."""

    class Rule(models.TextChoices):
        SHARED_CARD = "shared_card", "Card shared with another bidder"
        FAR_ABOVE = "far_above", "Far above the price"

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="flags")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="flags")
    rule = models.CharField(max_length=20, choices=Rule.choices)
    detail = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    clear_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(cleared_at__isnull=True),
                name="auctions_open_flags",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: bid {self.bid_id}"


class AuctionEvent(AuditEvent):
    """The auction's history: every action by a store admin, a CSR, a supervisor or the job."""

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="events")
    bid = models.ForeignKey(Bid, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(AuditEvent.Meta):
        indexes = [models.Index(fields=["auction", "-occurred_at"])]

    @property
    def event_label(self) -> str:
        return AuctionEventType(self.event_type).label

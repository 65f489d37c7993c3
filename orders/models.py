from decimal import Decimal

from django.conf import settings
from django.db import models

from core.models import AuditEvent, PostalAddress

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending (cart)"
    SUBMITTED = "submitted", "Submitted"
    AUTHORIZED = "authorized", "Payment authorized"
    PAYMENT_REVIEW = "payment_review", "Payment review"
    BACKORDERED = "backordered", "Backordered"
    RELEASED = "released", "Released"
    SHIPPED = "shipped", "Shipped"
    CANCELED = "canceled", "Canceled"


class LineInventoryStatus(models.TextChoices):
    UNALLOCATED = "unallocated", "Unallocated"
    ALLOCATED = "allocated", "Allocated"
    BACKORDERED = "backordered", "Backordered"
    RELEASED = "released", "Released"
    SHIPPED = "shipped", "Shipped"
    CANCELED = "canceled", "Canceled"


class AvailabilityChoice(models.TextChoices):
    """Available To Promise, chosen per order."""

    SHIP_COMPLETE = "ship_complete", "Ship when everything is available"
    SHIP_AVAILABLE_FIRST = "ship_available_first", "Ship available now, the rest as it arrives"
    SHIP_AVAILABLE_DROP_BACKORDERS = "ship_available_drop", "Ship available now, drop backorders"


class Order(models.Model):
    """A cart while `pending`; an order from submit on. Guests have no customer row."""

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    # Status and the times have no index of their own: order_status_recent, order_recent and
    # order_created_changed (below) lead with them, and every index is one more write on each
    # order change (the release job changes a hundred thousand).
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    guest_first_name = models.CharField(max_length=100, blank=True)
    guest_last_name = models.CharField(max_length=100, blank=True)
    guest_email = models.EmailField(blank=True)
    guest_phone = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    atp_choice = models.CharField(
        max_length=30,
        choices=AvailabilityChoice.choices,
        default=AvailabilityChoice.SHIP_AVAILABLE_FIRST,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_created"
    )
    # Optimistic concurrency: every write bumps it; a save with an older version is refused.
    version = models.PositiveIntegerField(default=1)
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    shipping_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    # Store credit the CSR applies to the order (Bill & pay); the card pays the rest. Spent from
    # the customer's balance when the order is placed (customers/credit.py).
    store_credit_amount = models.DecimalField(**MONEY)
    # An exchange: the RMA whose returned goods this order replaces (at the price paid, never
    # repriced; paid by the returned goods, so nothing is captured).
    exchange_for = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The ship-to that new lines go to (the "Ship-to" choice at the top of the order screen).
    current_ship_to = models.ForeignKey(
        "OrderAddress", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why the order needs the CSR's attention (e.g. the last payment decline); empty when fine.
    attention = models.CharField(max_length=255, blank=True)
    # The last pricing result's explanation (applied, not applied, near misses), shipping
    # charges per ship-to, taxes and per-line discounts, as JSON: the screen shows why.
    pricing_detail = models.JSONField(default=dict, blank=True)
    # A cart made from an earlier order ("Create shopping cart from order").
    reordered_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The order search's page: the most recently changed first, read backwards from
            # the end of one index and stopped at the page size, on its own or per status.
            # The customer and the creation time are tested during the walk (a name's
            # customers, a creation date with another field) without reading the table.
            models.Index(
                fields=["modified_at", "id"],
                name="order_recent",
                include=["customer", "created_at"],
            ),
            models.Index(fields=["status", "modified_at", "id"], name="order_status_recent"),
            # A customer's orders, most recent first: the search's customer branch counts and
            # reads its page from this index alone.
            models.Index(fields=["customer", "modified_at", "id"], name="order_customer_recent"),
            # Orders created on given days, most recently changed first: the search reads and
            # sorts them from this index alone.
            models.Index(
                fields=["created_at"], name="order_created_changed", include=["modified_at", "id"]
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Cart #{self.pk}"

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None


class OrderAddress(PostalAddress):
    """An address as it stands on the order (a snapshot: later address-book edits don't move it)."""

    class Kind(models.TextChoices):
        SHIPPING = "shipping", "Ship to"
        BILLING = "billing", "Bill to"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    nickname = models.CharField(max_length=50, blank=True)
    shipping_method = models.ForeignKey(
        "pricing.ShippingMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.city} {self.region}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # Indexed by orderline_sku_orders below (its first column).
    sku = models.ForeignKey(
        "catalog.SKU", on_delete=models.PROTECT, related_name="order_lines", db_index=False
    )
    quantity = models.PositiveIntegerField()
    ship_to = models.ForeignKey(
        OrderAddress, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines"
    )
    is_gift = models.BooleanField(default=False, help_text="A free gift added by a promotion")
    unit_price = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)
    # A unit price agreed outside the price lists (an auction's winning price); pricing uses it
    # instead of the entitled price. Set only by line_add's callers that agreed it (auctions).
    agreed_unit_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    inventory_status = models.CharField(
        max_length=20, choices=LineInventoryStatus.choices, default=LineInventoryStatus.UNALLOCATED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [
            # The orders of a SKU (find order item), read from the index alone.
            models.Index(fields=["sku"], name="orderline_sku_orders", include=["order"]),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id}"


class OrderEvent(AuditEvent):
    """The order's timeline: every change by a CSR or a job."""

    # Indexed by (order, -occurred_at) below (its first column).
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", db_index=False
    )

    class Meta(AuditEvent.Meta):
        indexes = [models.Index(fields=["order", "-occurred_at"])]


class PaymentStatus(models.TextChoices):
    SELECTED = "selected", "Selected (not yet authorized)"
    AUTHORIZED = "authorized", "Authorized"
    REVIEW = "review", "Authorized, needs review (AVS)"
    DECLINED = "declined", "Declined"
    ERROR = "error", "Gateway error"
    VOIDED = "voided", "Voided"
    CAPTURED = "captured", "Captured"
    REPLACED = "replaced", "Replaced by another card"


class OrderPayment(models.Model):
    """A card on the order: a gateway token plus what may be shown (brand, last 4, expiry).

    The full number and the CVV are never stored. One row per card tried, newest is current.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    # The customer's stored payment method, by id (customers.PaymentMethod), if one was chosen.
    stored_method_id = models.PositiveIntegerField(null=True, blank=True)
    gateway = models.CharField(max_length=30, default="sandbox")
    gateway_token = models.CharField(max_length=100)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.SELECTED
    )
    amount = models.DecimalField(**MONEY)
    authorization_id = models.CharField(max_length=100, blank=True)
    avs_code = models.CharField(max_length=5, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        brand = self.brand[:1].upper() + self.brand[1:]
        return f"{brand} ····{self.last4} {self.exp_month:02d}/{self.exp_year % 100:02d}"

    @property
    def label(self) -> str:
        return str(self)


class OrderComment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    email_customer = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


def order_number(counter: int) -> str:
    """The readable number of the order with this counter: 'NW-000123'."""
    prefix = getattr(settings, "ORDERS_NUMBER_PREFIX", "NW")
    return f"{prefix}-{counter:06d}"


class OrderNumber(models.Model):
    """The readable order number's counter: the row id is the number (sequence-safe)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.pk)


class SubmitAttempt(models.Model):
    """One per idempotency key: a retried or double-clicked submit finds it and gets its answer."""

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        PLACED = "placed", "Placed"
        REFUSED = "refused", "Refused"

    key = models.CharField(max_length=100, unique=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="submit_attempts")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.IN_PROGRESS)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class QuoteStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONVERTED = "converted", "Converted to an order"
    EXPIRED = "expired", "Expired"
    CANCELED = "canceled", "Canceled"


class Quote(models.Model):
    """A cart the caller is thinking about: its priced lines and totals frozen (the price lock)
    and its stock held until `expires_at`. Linked 1:1 to the cart, which stays `pending`: the
    quote's own lifecycle (open, converted, expired, canceled) is separate from the order's, and
    converting is the cart's ordinary submit (orders/workflow.py, QUOTE_TRANSITIONS)."""

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="quote")
    status = models.CharField(
        max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.OPEN, db_index=True
    )
    expires_at = models.DateTimeField(db_index=True)
    currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    shipping_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    # What applied when quoted ([{"name", "amount"}]): the diff after expiry names what ended.
    promotions = models.JSONField(default=list, blank=True)
    email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="orders_quote_open_exp")]

    def __str__(self) -> str:
        return self.number or f"Quote #{self.pk}"


def quote_number(pk: int) -> str:
    prefix = getattr(settings, "QUOTES_NUMBER_PREFIX", "Q")
    return f"{prefix}-{pk:06d}"


class OrderVersion(models.Model):
    """One version of a placed order: 1 at submit, one more per change after it. Keeps the
    lines and the header as they stood, the totals, and the money delta from the version
    before (orders/services/versions.py writes it; `version_diff` compares two)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=255, blank=True)
    lines = models.JSONField(default=list)
    header = models.JSONField(default=dict)
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    shipping_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    delta = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["order_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="orderversion_unique_number")
        ]
        permissions = [("change_placed_order", "Change an order after submit")]

    def __str__(self) -> str:
        return f"{self.order} v{self.number}"


class HoldType(models.TextChoices):
    PAYMENT_REVIEW = "payment_review", "Payment review (AVS)"
    ADJUSTMENT_LIMIT = "adjustment_limit", "Adjustment over the CSR's limit"
    CREDIT_LIMIT = "credit_limit", "Credit limit of a business account"
    MANUAL = "manual", "Manual hold"
    FRAUD = "fraud", "Fraud score over the threshold"


class OrderHold(models.Model):
    """A reason an order may not be released; open while `released_at` is empty."""

    class Resolution(models.TextChoices):
        RELEASED = "released", "Released"
        CANCELED = "canceled", "Order canceled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    type = models.CharField(max_length=20, choices=HoldType.choices)
    reason = models.CharField(max_length=255)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What placed it when no person did: "submit", "fraud rule: default", ...
    placed_by_rule = models.CharField(max_length=60, blank=True)
    placed_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["placed_at", "id"]
        indexes = [
            models.Index(
                fields=["order"],
                condition=models.Q(released_at__isnull=True),
                name="orderhold_open_by_order",
            ),
            models.Index(
                fields=["type", "placed_at"],
                condition=models.Q(released_at__isnull=True),
                name="orderhold_open_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} on {self.order}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class QuoteLine(models.Model):
    """A quoted line: the price it was quoted at and how much of it is held."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, null=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    is_gift = models.BooleanField(default=False)
    unit_price = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)
    held = models.PositiveIntegerField(default=0)
    # Not held (no stock, or over the store's cap per SKU): when it is expected.
    backorder_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["quote_id", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id} @ {self.unit_price}"

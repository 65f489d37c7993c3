"""Return requests (RMA): what comes back, why, what is refunded and how; their audit trail.

The rows only hold their own invariants; every write is in returns/services.py and every
status change goes through the transition table in returns/workflow.py.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import AuditEvent

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Waiting for a supervisor"
    APPROVED = "approved", "Approved, waiting for the goods"
    DENIED = "denied", "Denied"
    EXPIRED = "expired", "Expired (goods never arrived)"
    RECEIVED = "received", "Received, refund to issue"
    REFUNDING = "refunding", "Refunding"
    REFUND_FAILED = "refund_failed", "Refund failed"
    REFUNDED = "refunded", "Refunded"


class RefundMethod(models.TextChoices):
    ORIGINAL_PAYMENT = "original", "Original payment"
    STORE_CREDIT = "store_credit", "Store credit"
    MIXED = "mixed", "Store credit, the rest to the original payment"
    EXCHANGE = "exchange", "Exchange: a replacement order at the price paid"


class Disposition(models.TextChoices):
    RESTOCK = "restock", "Restock"
    DAMAGED = "damaged", "Damaged"
    SCRAP = "scrap", "Scrap"


class ReturnReason(models.Model):
    """A reason code the CSR picks per line; the store's list, edited in the admin."""

    code = models.SlugField(max_length=30, unique=True)
    label = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class ShippingRefund(models.TextChoices):
    NEVER = "never", "Never"
    ALL_BACK = "all_back", "When everything shipped comes back"


class ReturnPolicy(models.Model):
    """The store's return rules: one row (pk=1), edited in the admin."""

    auto_approve = models.BooleanField(
        default=True, help_text="Approve a return automatically when every rule below passes."
    )
    auto_approve_within_days = models.PositiveIntegerField(
        default=30, help_text="Only goods shipped at most this many days ago."
    )
    non_creditable_skus = models.ManyToManyField(
        "catalog.SKU",
        blank=True,
        related_name="+",
        help_text="Items that are never credited automatically (final sale, hygiene, ...).",
    )
    refund_shipping = models.CharField(
        max_length=10,
        choices=ShippingRefund.choices,
        default=ShippingRefund.NEVER,
        help_text="Refund the order's shipping charge (and its tax)?",
    )
    advance_credit = models.BooleanField(
        default=False,
        help_text="Issue store credit when the return is approved instead of when the goods "
        "are received (advance credit). Refunds to the original payment still wait for the goods.",
    )
    expire_after_days = models.PositiveIntegerField(
        default=30,
        help_text="An approved return whose goods have not arrived after this many days expires.",
    )

    class Meta:
        verbose_name = "return policy"
        verbose_name_plural = "return policy"

    def __str__(self) -> str:
        return "Return policy"

    @classmethod
    def current(cls) -> "ReturnPolicy":
        row = cls.objects.filter(pk=1).first()
        return row or cls(pk=1)


class ReturnRequest(models.Model):
    """One RMA: from a registered customer or a guest (contact details), with or without order."""

    # "RMA" and the row id, set right after the insert (the id is the sequence-safe counter).
    rma_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT, db_index=True
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="returns"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    guest_first_name = models.CharField(max_length=100, blank=True)
    guest_last_name = models.CharField(max_length=100, blank=True)
    guest_email = models.EmailField(blank=True)
    guest_phone = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    refund_method = models.CharField(
        max_length=20, choices=RefundMethod.choices, default=RefundMethod.ORIGINAL_PAYMENT
    )
    # With the mixed method: how much of the refund is store credit (the rest goes to the card).
    store_credit_amount = models.DecimalField(**MONEY)
    # What the kept goods no longer earn (a promotion's condition broken by the return), taken
    # off the refund, and why (returns/clawback.py).
    clawback_amount = models.DecimalField(**MONEY)
    clawback_reason = models.CharField(max_length=500, blank=True)
    # The order's shipping charge with its tax, when the policy refunds it (ReturnPolicy).
    shipping_amount = models.DecimalField(**MONEY)
    # The rules' results at the last automatic approval: [{"rule", "passed", "detail"}].
    approval_checks = models.JSONField(default=list, blank=True)
    # An exchange's replacement order (refund method "exchange"), created at approval.
    exchange_order = models.OneToOneField(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_of",
    )
    decision_comment = models.CharField(max_length=255, blank=True)
    refund_error = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="returns_created"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    modified_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    credit_issued_at = models.DateTimeField(null=True, blank=True)
    rma_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.rma_number or f"Return #{self.pk}"

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None

    @property
    def contact_name(self) -> str:
        if self.customer_id:
            return f"{self.customer.first_name} {self.customer.last_name}"
        return f"{self.guest_first_name} {self.guest_last_name}".strip()

    @property
    def contact_email(self) -> str:
        return self.customer.email if self.customer_id else self.guest_email


class ReturnLine(models.Model):
    """One item coming back: an order line, a catalog SKU without an order, or an ad-hoc item.

    `paid_amount` is what the customer paid for these units (merchandise after its discount
    shares, plus its tax share) and caps the refund of an order line; `refund_amount` is what
    will be refunded (the calculation, or a CSR's adjustment of it).
    """

    class Kind(models.TextChoices):
        ORDER_LINE = "order_line", "Order item"
        CATALOG = "catalog", "Catalog item"
        AD_HOC = "ad_hoc", "Ad-hoc item"

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    order_line = models.ForeignKey(
        "orders.OrderLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_lines",
    )
    sku = models.ForeignKey(
        "catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="+")
    disposition = models.CharField(
        max_length=10, choices=Disposition.choices, default=Disposition.RESTOCK
    )
    merchandise_amount = models.DecimalField(**MONEY)
    tax_amount = models.DecimalField(**MONEY)
    paid_amount = models.DecimalField(**MONEY)
    refund_amount = models.DecimalField(**MONEY)
    adjustment_reason = models.CharField(max_length=255, blank=True)
    # An adjustment over the CSR's limit: the return then needs a supervisor's approval.
    adjustment_over_limit = models.BooleanField(default=False)
    received_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["return_request_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_quantity__lte=F("quantity")),
                name="returns_line_received_lte_quantity",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="order_line", order_line__isnull=False, sku__isnull=False)
                    | Q(kind="catalog", order_line__isnull=True, sku__isnull=False)
                    | Q(kind="ad_hoc", order_line__isnull=True, sku__isnull=True)
                ),
                name="returns_line_kind_matches_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.label}"

    @property
    def label(self) -> str:
        if self.sku_id:
            return f"{self.sku.code} {self.sku.name}"
        return self.description


class ReturnRefund(models.Model):
    """One refund that reached the gateway, against one captured shipment of the order.

    A retry after a failure refunds only what these rows do not yet cover, so a card is never
    refunded twice.
    """

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="refunds"
    )
    shipment = models.ForeignKey(
        "fulfillment.Shipment", on_delete=models.PROTECT, related_name="return_refunds"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    refund_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["return_request_id", "id"]

    def __str__(self) -> str:
        return f"{self.amount} for {self.return_request_id}"


class ReturnEvent(AuditEvent):
    """The return's history: every action by a CSR, a supervisor, operations or a job."""

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(AuditEvent.Meta):
        indexes = [models.Index(fields=["return_request", "-occurred_at"])]

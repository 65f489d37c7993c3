"""Fulfillment centers, where they ship, what they hold, what is on its way, and who holds it.

Invariants kept by the database, not only by code: allocated <= on_hand and both >= 0 per
inventory row; received <= quantity on expected inventory. Allocation never oversells because
services lock inventory rows in primary-key order before they move `allocated`
(see fulfillment/inventory/locks.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField

from core.models import AuditEvent


class FulfillmentCenter(models.Model):
    code = models.CharField(max_length=10, unique=True, help_text="Short code, e.g. TOR")
    name = models.CharField(max_length=100)
    line1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField(default="CA")
    time_zone = models.CharField(max_length=50, default="America/Toronto")
    precedence = models.PositiveIntegerField(
        default=100, help_text="Lower ships first when no arrangement decides"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["precedence", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ShippingArrangement(models.Model):
    """This center ships this shipping method to this jurisdiction; lower precedence wins.

    A jurisdiction is a country, optionally narrowed to a region and a postal-code prefix
    (blank = the whole country / region).
    """

    center = models.ForeignKey(
        FulfillmentCenter, on_delete=models.CASCADE, related_name="arrangements"
    )
    shipping_method = models.ForeignKey(
        "pricing.ShippingMethod", on_delete=models.CASCADE, related_name="arrangements"
    )
    country = CountryField()
    region = models.CharField(max_length=50, blank=True)
    postal_prefix = models.CharField(max_length=10, blank=True)
    precedence = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["precedence", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "shipping_method", "country", "region", "postal_prefix"],
                name="fulfillment_arrangement_unique",
            )
        ]

    def __str__(self) -> str:
        where = "/".join(p for p in [str(self.country), self.region, self.postal_prefix] if p)
        return f"{self.center.code} ships {self.shipping_method} to {where}"


class Inventory(models.Model):
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="inventory")
    center = models.ForeignKey(
        FulfillmentCenter, on_delete=models.PROTECT, related_name="inventory"
    )
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku_id", "center_id"]
        verbose_name_plural = "inventory"
        constraints = [
            models.UniqueConstraint(fields=["sku", "center"], name="fulfillment_inventory_unique"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0), name="fulfillment_inventory_on_hand_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="fulfillment_inventory_allocated_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("on_hand")),
                name="fulfillment_inventory_allocated_lte_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.center_id}: {self.on_hand} on hand, {self.allocated} allocated"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class AdjustmentReason(models.TextChoices):
    RECEIVED = "received", "Received from vendor"
    CYCLE_COUNT = "cycle_count", "Cycle count correction"
    DAMAGED = "damaged", "Damaged"
    LOST = "lost", "Lost or stolen"
    FOUND = "found", "Found"
    RETURNED = "returned", "Customer return restocked"
    TRANSFER = "transfer", "Transfer between centers"
    CORRECTION = "correction", "Data entry correction"


class InventoryAdjustment(AuditEvent):
    """One change of on-hand stock, with its reason: the inventory's audit trail."""

    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="adjustments")
    reason = models.CharField(max_length=20, choices=AdjustmentReason.choices)
    quantity = models.IntegerField(help_text="Change of on hand: positive adds, negative removes")
    on_hand_before = models.IntegerField()
    on_hand_after = models.IntegerField()
    note = models.CharField(max_length=200, blank=True)

    class Meta(AuditEvent.Meta):
        indexes = [models.Index(fields=["inventory", "-occurred_at"])]


class Vendor(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExpectedInventory(models.Model):
    """Stock a vendor is due to deliver to a center. Backorders may be promised against it."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="expected")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="expected")
    center = models.ForeignKey(FulfillmentCenter, on_delete=models.PROTECT, related_name="expected")
    reference = models.CharField(max_length=40, blank=True, help_text="Purchase order number")
    quantity = models.PositiveIntegerField()
    received_quantity = models.PositiveIntegerField(default=0)
    # Quantity promised to backordered lines and not yet turned into on-hand allocations.
    promised_quantity = models.PositiveIntegerField(default=0)
    expected_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expected_date", "id"]
        verbose_name_plural = "expected inventory"
        indexes = [models.Index(fields=["sku", "expected_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_quantity__lte=F("quantity")),
                name="fulfillment_expected_received_lte_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id} to {self.center_id} on {self.expected_date}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.received_quantity

    @property
    def promisable(self) -> int:
        return max(0, self.open_quantity - self.promised_quantity)


class AllocationKind(models.TextChoices):
    ON_HAND = "on_hand", "Allocated from stock"
    EXPECTED = "expected", "Backordered against expected inventory"
    BACKORDER = "backorder", "Backordered, no date"


class LineAllocation(models.Model):
    """Part (or all) of an order line held for it: from stock, from expected stock, or waiting."""

    # PROTECT: a line is deleted only after inventory gave back what it holds
    # (orders.allocation.delete_lines); deleting rows would leave the stock counted as allocated.
    # Indexed by fulfillment_alloc_line below.
    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="allocations", db_index=False
    )
    kind = models.CharField(max_length=10, choices=AllocationKind.choices)
    # The SKU held: the line's SKU, or a component of the line's kit. Always set by services.
    sku = models.ForeignKey(
        "catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    center = models.ForeignKey(
        FulfillmentCenter, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    inventory = models.ForeignKey(
        Inventory, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    expected = models.ForeignKey(
        ExpectedInventory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    expected_date = models.DateField(null=True, blank=True)
    allocated_at = models.DateTimeField()

    class Meta:
        ordering = ["line_id", "id"]
        indexes = [
            # A line's allocations, carrying what a release batch reads of them
            # (inventory.selectors.on_hand_held): its thousands of lines are read from the index
            # alone, not from as many heap pages wherever the carts wrote them.
            models.Index(
                fields=["line"],
                include=["kind", "center", "sku", "quantity"],
                name="fulfillment_alloc_line",
            ),
            # the stale sweep walks allocations oldest first
            models.Index(fields=["allocated_at", "id"], name="fulfillment_alloc_age"),
            # backorders waiting for a SKU, oldest first
            models.Index(
                fields=["sku", "allocated_at"],
                condition=~Q(kind="on_hand"),
                name="fulfillment_alloc_waiting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="fulfillment_allocation_quantity_gt_0"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="on_hand", inventory__isnull=False)
                    | Q(kind="expected", expected__isnull=False)
                    | Q(kind="backorder")
                ),
                name="fulfillment_allocation_kind_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.kind} for line {self.line_id}"


class FulfillmentSettings(models.Model):
    """The store's inventory settings: one row (pk=1), edited in the admin."""

    allocation_good_for_minutes = models.PositiveIntegerField(
        default=getattr(settings, "FULFILLMENT_ALLOCATION_GOOD_FOR_MINUTES", 120),
        help_text="A cart line keeps its stock this long; then the sweep releases it.",
    )

    class Meta:
        verbose_name = "fulfillment settings"
        verbose_name_plural = "fulfillment settings"

    def __str__(self) -> str:
        return f"Allocation good for {self.allocation_good_for_minutes} min"

    @classmethod
    def current(cls) -> "FulfillmentSettings":
        row = cls.objects.filter(pk=1).first()
        return row or cls(pk=1)


class FulfillmentEvent(AuditEvent):
    """Audit of fulfillment data changes other than stock adjustments (centers, expected, ...)."""

    object_type = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta(AuditEvent.Meta):
        indexes = [models.Index(fields=["object_type", "object_id"])]


# --- releases, shipments, job runs (issue 8) -------------------------------------------------


class Release(models.Model):
    """What one center ships to one ship-to by one shipping method: a pick and pack unit.

    Created by the release job (fulfillment/releases.py). `(order, sequence)` is unique, and a
    line's quantity at a center is released once (ReleaseLine `(line, center)` unique), so a
    release is never created twice even by two workers.
    """

    class Status(models.TextChoices):
        RELEASED = "released", "Released, to pick"
        PARTIAL = "partial", "Partially shipped"
        SHIPPED = "shipped", "Shipped"

    number = models.CharField(max_length=40, unique=True)
    # No index of their own: fulfillment_release_seq (order, sequence) and
    # fulfillment_release_pick (center, status, id) lead with them, and each index is one more
    # write per release the job creates. The shipping method, the ship-to and the time have
    # none either: nothing looks releases up by them (deleting a method or an address, which
    # the foreign keys still refuse while releases use it, reads the table through).
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="releases", db_index=False
    )
    sequence = models.PositiveSmallIntegerField()
    center = models.ForeignKey(
        FulfillmentCenter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="releases",
        db_index=False,
    )
    shipping_method = models.ForeignKey(
        "pricing.ShippingMethod",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    ship_to = models.ForeignKey(
        "orders.OrderAddress",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RELEASED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["center", "status", "id"], name="fulfillment_release_pick")]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="fulfillment_release_seq"),
        ]

    def __str__(self) -> str:
        return self.number


class ReleaseLine(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="lines")
    # No index of its own: fulfillment_releaseline_once (line, center) leads with it.
    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="release_lines", db_index=False
    )
    # The center and SKU are those of the release and the order line, copied for the warehouse:
    # no index of their own (three writes per release line instead of five); a pick batch
    # finds its lines through their releases. No database constraint either: each value is a
    # copy of one the database already holds to its table (the release's center, the line's
    # SKU, both PROTECTed), and checking the copies again was 23 of a 1,000-order release
    # batch's 80 ms commit. Django's PROTECT still guards them on delete.
    center = models.ForeignKey(
        FulfillmentCenter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    sku = models.ForeignKey(
        "catalog.SKU",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    quantity = models.PositiveIntegerField()
    shipped_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["release_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "center"], name="fulfillment_releaseline_once"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity")),
                name="fulfillment_releaseline_shipped_lte_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id} in {self.release_id}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.shipped_quantity


class Shipment(models.Model):
    """One parcel confirmed shipped for a release ("Add to order ship history").

    `(release, tracking_number)` is unique: confirming the same parcel twice is refused. The
    capture of its amount is tracked here, so a retry never captures twice.
    """

    class Capture(models.TextChoices):
        PENDING = "pending", "To capture"
        CAPTURING = "capturing", "Capturing"
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Capture failed"

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="shipments")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    carrier = models.CharField(max_length=40)
    tracking_number = models.CharField(max_length=60)
    shipped_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    capture_status = models.CharField(
        max_length=10, choices=Capture.choices, default=Capture.PENDING, db_index=True
    )
    capture_id = models.CharField(max_length=100, blank=True)
    capture_error = models.CharField(max_length=255, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "tracking_number"], name="fulfillment_shipment_tracking_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    release_line = models.ForeignKey(
        ReleaseLine, on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["shipment_id", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.release_line_id}"

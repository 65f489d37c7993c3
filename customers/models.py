import re
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from core.models import AuditEvent, PostalAddress
from customers.phones import format_phone

NON_DIGITS = re.compile(r"\D+")
POSTAL_NOISE = re.compile(r"[\s\-]+")


def digits_only(value: str) -> str:
    """'+1 (555) 010-2233' -> '15550102233': the phone search column."""
    return NON_DIGITS.sub("", value or "")


def normalize_postal_code(value: str) -> str:
    """'m5v 2t6' -> 'M5V2T6': the ZIP / postal code search column."""
    return POSTAL_NOISE.sub("", value or "").upper()


class Segment(models.Model):
    """A member group ("Gold") that price lists and promotions target."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    """A business account; its members buy on its behalf."""

    account_number = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    credit_limit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="In the store's currency; empty: no limit. An order that takes the account's "
        "open orders over it is held for a supervisor.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_number})"


class Gender(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Another gender"
    UNDISCLOSED = "U", "Prefers not to say"


class IncomeBand(models.TextChoices):
    UNDER_25K = "lt25", "Under 25,000"
    FROM_25K = "25-50", "25,000 – 50,000"
    FROM_50K = "50-100", "50,000 – 100,000"
    FROM_100K = "100-200", "100,000 – 200,000"
    OVER_200K = "gt200", "Over 200,000"


class Customer(models.Model):
    """A registered customer. Guests have no row: their details live on the order."""

    logon_id = models.CharField(max_length=150, unique=True)
    password = models.CharField(max_length=128)  # Django hasher format, never plain text
    must_change_password = models.BooleanField(
        default=False, help_text="Set by a password reset: the customer must change it at logon."
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +15550102233")
    # Digits of `phone` only ("15550102233"): any formatting or fragment of a number finds it.
    phone_digits = models.CharField(max_length=20, blank=True, editable=False)
    preferred_currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    preferred_language = models.CharField(max_length=10, default="en")
    challenge_question = models.CharField(max_length=200, blank=True)
    challenge_answer = models.CharField(
        max_length=128, blank=True, help_text="Hashed like a password; compared case-insensitively"
    )
    # Demographics: all optional.
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    income_band = models.CharField(max_length=10, choices=IncomeBand.choices, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    segments = models.ManyToManyField(Segment, blank=True, related_name="customers")
    is_enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            # Plain indexes; PostgreSQL gets prefix (pattern_ops) and trigram indexes in 0003.
            models.Index(fields=["last_name", "first_name", "id"], name="customer_name_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_enabled=True) | ~Q(disabled_reason=""),
                name="customer_disabled_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.logon_id})"

    def save(self, *args, **kwargs):
        self.phone_digits = digits_only(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_digits"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    def set_password(self, raw_password: str | None) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        return check_password(raw_password, self.password)

    def set_challenge_answer(self, raw_answer: str) -> None:
        answer = (raw_answer or "").strip().casefold()
        self.challenge_answer = make_password(answer) if answer else ""

    def check_challenge_answer(self, raw_answer: str) -> bool:
        if not self.challenge_answer:
            return False
        return check_password((raw_answer or "").strip().casefold(), self.challenge_answer)


class Address(PostalAddress):
    """An address-book entry of a registered customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    nickname = models.CharField(max_length=50)
    # Upper case, no spaces or dashes ("M5V2T6"): what ZIP search compares with.
    postal_code_search = models.CharField(max_length=20, blank=True, editable=False)
    is_default_billing = models.BooleanField(default=False)
    is_default_shipping = models.BooleanField(default=False)

    class Meta:
        ordering = ["customer_id", "nickname"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "nickname"], name="address_nickname_unique"
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default_billing=True),
                name="address_one_default_billing",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default_shipping=True),
                name="address_one_default_shipping",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nickname}: {self.line1}, {self.city} {self.region}"

    def save(self, *args, **kwargs):
        self.postal_code_search = normalize_postal_code(self.postal_code)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "postal_code" in update_fields:
            kwargs["update_fields"] = {*update_fields, "postal_code_search"}
        super().save(*args, **kwargs)

    @property
    def one_line(self) -> str:
        parts = [self.line1, self.line2, self.city, self.region, self.postal_code]
        return ", ".join(p for p in parts if p) + f" {self.country.code}"


class CardBrand(models.TextChoices):
    VISA = "visa", "Visa"
    MASTERCARD = "mastercard", "Mastercard"
    AMEX = "amex", "American Express"
    DISCOVER = "discover", "Discover"
    OTHER = "other", "Other"


class PaymentMethod(models.Model):
    """A stored card: the gateway's token plus what a person may see (brand, last 4, expiry).

    Never a full card number, never a CVV.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payment_methods")
    gateway_token = models.CharField(max_length=200)
    brand = models.CharField(max_length=20, choices=CardBrand.choices)
    last4 = models.CharField(
        max_length=4, validators=[RegexValidator(r"^\d{4}$", "Last 4 must be four digits.")]
    )
    exp_month = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    exp_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    billing_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer_id", "-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="payment_one_default"
            ),
            models.UniqueConstraint(
                fields=["customer", "gateway_token"], name="payment_token_unique"
            ),
            models.CheckConstraint(
                condition=Q(exp_month__gte=1) & Q(exp_month__lte=12), name="payment_exp_month"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.get_brand_display()} ending {self.last4}, exp {self.expiry}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"

    def is_expired(self, today=None) -> bool:
        from django.utils import timezone

        today = today or timezone.localdate()
        return (self.exp_year, self.exp_month) < (today.year, today.month)


class CustomerNote(models.Model):
    """A CSR's note on a customer ("calls after 5 pm; ask for the PO number"). Pinned notes are
    shown on every order of the customer's, so the next CSR sees them while taking the call."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    is_pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_pinned", "-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="customer_note_recent")]

    def __str__(self) -> str:
        return self.text[:40]


class StoreCreditEntry(models.Model):
    """The customer's store credit ledger: a credit (a return's refund) adds, spending it on an
    order subtracts, a spend given back (the order was not placed, or canceled) adds again.

    The balance is the sum of the rows; it is never negative (customers/credit.py locks the
    customer row, checks the balance and writes the spend in one transaction). `reference`
    makes each entry idempotent: a return's credit, an order's spend, their release, once each.
    """

    class Kind(models.TextChoices):
        CREDIT = "credit", "Credit"
        SPEND = "spend", "Spent on an order"
        RELEASE = "release", "Given back from an order"
        REVERSAL = "reversal", "Taken back (an advance credit whose goods never came)"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="store_credit")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)  # signed: a spend is negative
    currency = models.CharField(max_length=3)
    # "RMA0000012" for a return's credit, "order:123" for an order's spend and its release.
    reference = models.CharField(max_length=60)
    note = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "reference"], name="store_credit_once_per_reference"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="credit", amount__gt=0)
                    | Q(kind="spend", amount__lt=0)
                    | Q(kind="release", amount__gt=0)
                    | Q(kind="reversal", amount__lt=0)
                ),
                name="store_credit_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_kind_display()})"


class CustomerEvent(AuditEvent):
    """Audit row: who changed what on a customer (old and new values in `data`)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    summary = models.CharField(max_length=255, blank=True)

    class Meta(AuditEvent.Meta):
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="customer_event_recent")]

    def __str__(self) -> str:
        return f"{self.event_label}: {self.summary}"

from django.conf import settings
from django.db import models
from django_countries.fields import CountryField


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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_number})"


class Customer(models.Model):
    """A registered customer. Guests have no row: their details live on the order."""

    logon_id = models.CharField(max_length=150, unique=True)
    password = models.CharField(max_length=128)  # Django hasher format, never plain text
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +15550102233")
    preferred_currency = models.CharField(max_length=3, default=settings.STORE_CURRENCY)
    preferred_language = models.CharField(max_length=10, default="en")
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

    def __str__(self) -> str:
        return f"{self.full_name} ({self.logon_id})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Address(models.Model):
    """An address-book entry of a registered customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    nickname = models.CharField(max_length=50)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=50, blank=True, help_text="State or province code")
    postal_code = models.CharField(max_length=20)
    country = CountryField()
    phone = models.CharField(max_length=20, blank=True)
    is_default_billing = models.BooleanField(default=False)
    is_default_shipping = models.BooleanField(default=False)

    class Meta:
        ordering = ["customer_id", "nickname"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "nickname"], name="address_nickname_unique")
        ]

    def __str__(self) -> str:
        return f"{self.nickname}: {self.line1}, {self.city} {self.region}"

from django.conf import settings
from django.db import models
from django_countries.fields import CountryField


class Desk(models.Model):
    """Holds the desk-wide permissions that the staff roles are made of; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_csr_desk", "Can take orders at the CSR desk"),
            ("supervise_csrs", "Can approve adjustments over a CSR's limit"),
            ("manage_store", "Can manage catalog, prices and promotions"),
            ("run_operations", "Can run and watch the scheduled jobs"),
        ]

    def __str__(self) -> str:
        return "Desk permissions"


class AuditEvent(models.Model):
    """Base of every app's audit rows: who did what, when, with old and new values in `data`.

    `event_type` takes a code from `core.events.EventType`, so codes are unique across apps.
    """

    event_type = models.PositiveIntegerField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["-occurred_at", "-id"]

    @property
    def event_label(self) -> str:
        from core.events import EventType

        try:
            return EventType(self.event_type).label
        except ValueError:
            return f"event {self.event_type}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor_id else "system"


class PostalAddress(models.Model):
    """The fields every postal address has: the address book's and the order's own copies."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=50, blank=True, help_text="State or province code")
    postal_code = models.CharField(max_length=20)
    country = CountryField()
    phone = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from core.events import EventType


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
            ("manage_staff", "Can add staff users, give them roles, disable them"),
            ("issue_appeasement_coupons", "Can put a coupon in a caller's wallet, within limits"),
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


class JobRun(models.Model):
    """One run of a registered job (beat, `manage.py`, or "Run now"), for the operations screen.

    A run records a heartbeat while it works (core.jobs.heartbeat). A run still `running` whose
    heartbeat is older than settings.JOB_HEARTBEAT_TIMEOUT died with its process (kill -9, a
    lost machine): it is marked `interrupted`, and the next run of the job names it in
    `resumed_after`. Each job is idempotent, so that run redoes whatever the dead one left.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"
        INTERRUPTED = "interrupted", "interrupted"

    job = models.CharField(max_length=40, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    triggered_by = models.CharField(max_length=60, blank=True, help_text="beat, command or user")
    resumed_after = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The interrupted run of the same job that this run followed",
    )

    class Meta:
        # Created by fulfillment, which kept the runs before the job registry moved to core.
        db_table = "fulfillment_jobrun"
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(status="running"),
                name="jobrun_running_heartbeat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    @property
    def summary(self) -> str:
        shown = {k: v for k, v in self.counts.items() if k != "seconds"}
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items())


class StaffUser(User):
    """Staff users as a store admin sees them (core.staff, core.admin): name, roles, active,
    password; never superuser status or single permissions."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = "staff user"

    def __str__(self) -> str:
        return self.get_username()


class StaffEvent(AuditEvent):
    """Audit rows for staff changes (created, roles, disabled or enabled, password reset)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_events"
    )

    class Meta(AuditEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.event_label}: {self.user_id}"

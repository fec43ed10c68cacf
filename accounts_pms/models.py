from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from bookings.models import ReservationStatus, TimestampedModel
from common.encryption import EncryptedTextField


class StayNTouchSettings(TimestampedModel):
    """The one set of StayNTouch Connect API settings (a singleton: its id is always 1)."""

    SINGLETON_ID = 1

    enabled = models.BooleanField(
        default=False,
        help_text=(
            "On: Bookbridge sends to Rover: on reservation status changes, Sync to StayNTouch, "
            "Retry callout and the scheduled retries. Off: none of them sends anything (and a "
            "refused retry counts no attempt); Test still signs in."
        ),
    )
    api_base_url = models.URLField(
        "API base URL",
        default="https://api.stayntouch.com/connect/",
        help_text="The StayNTouch Connect API, ending in /connect/.",
    )
    auth_url = models.URLField(
        "auth URL",
        default="https://auth.stayntouch.com/oauth/token",
        help_text="The OAuth2 token endpoint (client credentials).",
    )
    client_id = models.CharField(max_length=200)
    client_secret = EncryptedTextField(help_text="Stored encrypted; never shown again.")
    hotel_id = models.PositiveIntegerField("hotel id", help_text="Sent as hotel_id on calls.")
    api_version = models.CharField(
        "API version", max_length=10, default="2.0", help_text="Sent as the API-Version header."
    )
    start_status = models.CharField(
        max_length=20,
        choices=ReservationStatus.choices,
        default=ReservationStatus.OPTION,
        help_text="When a reservation reaches this status and its account is in Rover, a "
        "posting account is created.",
    )
    end_status = models.CharField(
        max_length=20,
        choices=ReservationStatus.choices,
        default=ReservationStatus.COMPLETED,
        help_text="When a reservation with a posting account reaches this status, its charges "
        "(resource price and services) are posted.",
    )

    class Meta:
        verbose_name = "StayNTouch settings"
        verbose_name_plural = "StayNTouch settings"
        permissions = [("test_stayntouchsettings", "Can test StayNTouch credentials")]
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="stayntouchsettings_singleton"),
            models.CheckConstraint(
                condition=~Q(start_status=models.F("end_status")),
                name="stayntouchsettings_distinct_statuses",
                violation_error_message="The start and end status must differ.",
            ),
        ]

    def __str__(self) -> str:
        return "StayNTouch settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is None:
            # A new row is always row 1, inserted: a second one fails on the primary key.
            self.pk = self.SINGLETON_ID
            kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> StayNTouchSettings | None:
        return cls.objects.filter(pk=cls.SINGLETON_ID).first()

    @classmethod
    def sending(cls) -> StayNTouchSettings | None:
        """The settings if StayNTouch is switched on: the one rule every path that would
        call Rover asks first (see `enabled`)."""
        return cls.objects.filter(pk=cls.SINGLETON_ID, enabled=True).first()


SWITCHED_OFF = "StayNTouch is switched off (StayNTouch settings, Enabled): nothing was sent."


class RoverAccountLink(models.Model):
    """The company account in Rover that a Bookbridge account was synced to."""

    account = models.OneToOneField(
        "bookings.Account",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rover_link",
    )
    rover_id = models.CharField(
        "Rover id", max_length=50, blank=True, help_text="Empty while a sync is running."
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    # A sync claims the account by creating this row (its primary key is the account), so
    # two presses of "Sync to StayNTouch" can never both create the company.
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "StayNTouch account link"
        permissions = [("sync_account", "Can sync accounts to StayNTouch")]
        constraints = [
            models.UniqueConstraint(
                fields=["rover_id"],
                condition=~Q(rover_id=""),
                name="roveraccountlink_unique_rover_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} → Rover {self.rover_id or '(syncing)'}"

    @property
    def is_linked(self) -> bool:
        return bool(self.rover_id)


class PostingAccount(models.Model):
    """The Rover posting account of one reservation: at most one, ever."""

    reservation = models.OneToOneField(
        "bookings.Reservation", on_delete=models.PROTECT, related_name="posting_account"
    )
    rover_id = models.CharField("Rover id", max_length=50, blank=True)
    rover_account_id = models.CharField(
        "Rover company id", max_length=50, help_text="The company it was created under."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Claims, so that two jobs for one reservation never call Rover for the same thing.
    claimed_at = models.DateTimeField(default=timezone.now)
    charges_claimed_at = models.DateTimeField(null=True, blank=True)
    charges_posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rover_id"],
                condition=~Q(rover_id=""),
                name="postingaccount_unique_rover_id",
            ),
        ]

    def __str__(self) -> str:
        return f"Posting account {self.rover_id or '(pending)'} for {self.reservation}"


class PmsOperation(models.TextChoices):
    FIND_ACCOUNT = "find_account", "Find company"
    CREATE_ACCOUNT = "create_account", "Create company"
    CREATE_POSTING_ACCOUNT = "create_posting_account", "Create posting account"
    POST_CHARGES = "post_charges", "Post charges"


class CalloutState(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class StayNTouchRequest(models.Model):
    """One callout to Rover: saved before the call, updated after it."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    operation = models.CharField(max_length=30, choices=PmsOperation.choices)
    account = models.ForeignKey(
        "bookings.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stayntouch_requests",
    )
    reservation = models.ForeignKey(
        "bookings.Reservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stayntouch_requests",
    )
    request_body = models.JSONField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    state = models.CharField(
        max_length=10, choices=CalloutState.choices, default=CalloutState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)", null=True, blank=True)

    class Meta:
        verbose_name = "StayNTouch request"
        permissions = [("retry_callout", "Can retry StayNTouch callouts")]
        indexes = [
            models.Index(fields=["-created_at"], name="sntrequest_created"),
            models.Index(fields=["state", "-created_at"], name="sntrequest_state"),
            models.Index(fields=["operation", "-created_at"], name="sntrequest_operation"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} #{self.pk} ({self.get_state_display()})"

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

# The external state Outlook cancellations carry while they wait for a decision.
CANCELLATION_REQUEST_STATE = "100"


class Decision(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved (reservation cancelled)"
    REJECTED = "rejected", "Rejected (reservation kept)"


class CancellationRequest(models.Model):
    """An Outlook cancellation or deletion that waits for a person to approve or reject it."""

    created_at = models.DateTimeField("detected at", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reservation = models.ForeignKey(
        "bookings.Reservation", on_delete=models.CASCADE, related_name="cancellation_requests"
    )
    sync_connection = models.ForeignKey(
        "syncconnections.SyncConnection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cancellation_requests",
    )
    external_state = models.CharField(
        max_length=10,
        default=CANCELLATION_REQUEST_STATE,
        help_text="“100” marks a cancellation request.",
    )
    outlook_event_id = models.CharField("Outlook event id", max_length=255)
    outlook_data = models.JSONField(
        "original Outlook data",
        default=dict,
        blank=True,
        help_text="The Outlook event as it was when the cancellation was detected.",
    )
    reservation_snapshot = models.JSONField(
        "reservation when detected",
        default=dict,
        blank=True,
        help_text="The reservation's title, times, status and room when the cancellation was "
        "detected: an approval checks that nothing changed since.",
    )
    state = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [
            ("approve_cancellationrequest", "Can approve cancellation requests (cancel)"),
            ("reject_cancellationrequest", "Can reject cancellation requests (keep)"),
            ("get_status_info_cancellationrequest", "Can get status info from Outlook"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["outlook_event_id"],
                condition=Q(state="pending"),
                name="cancellationrequest_one_pending_per_event",
                violation_error_message="This Outlook event already has a pending request.",
            ),
            models.CheckConstraint(
                condition=Q(state="pending", decided_at__isnull=True)
                | (~Q(state="pending") & Q(decided_at__isnull=False)),
                name="cancellationrequest_decision_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-created_at"], name="cancellationrequest_state"),
            models.Index(fields=["outlook_event_id"], name="cancellationrequest_event"),
        ]

    def __str__(self) -> str:
        return f"Cancellation request for {self.reservation}"

    @property
    def is_pending(self) -> bool:
        return self.state == Decision.PENDING


# The reservation fields a person judges a cancellation by; a change to any of them after
# detection means the request must be looked at again before it is approved.
SNAPSHOT_FIELDS = ("title", "start", "end", "status", "resource_id")


def snapshot(reservation: Any) -> dict[str, Any]:
    """The reservation as a request remembers it (JSON-safe)."""
    return {name: _plain(getattr(reservation, name)) for name in SNAPSHOT_FIELDS}


def _plain(value: Any) -> Any:
    # In UTC: a moment is one string however it was read (a reservation just saved from a
    # form carries the form's zone, one read back from the database UTC).
    return value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else value

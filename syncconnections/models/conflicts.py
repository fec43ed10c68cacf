"""Outlook meetings in the way of a reservation: found before a push into a room calendar,
or when Sync Down reads a meeting on a slot a reservation already holds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from syncconnections.models.connections import SyncConnection


class ConflictState(models.TextChoices):
    OPEN = "open", "Open: waits for a decision"
    KEPT_OURS = "kept_ours", "Kept ours (Outlook meeting declined)"
    GAVE_WAY = "gave_way", "Gave way (reservation cancelled)"


class ConflictOrigin(models.TextChoices):
    PUSH = "push", "Found before sending the reservation to Outlook"
    SYNC_DOWN = "sync_down", "An Outlook meeting arrived on the reservation's slot"


class OutlookConflictQuerySet(models.QuerySet):
    def open(self) -> OutlookConflictQuerySet:
        return self.filter(state=ConflictState.OPEN)


class OutlookConflict(models.Model):
    """A reservation and an Outlook meeting of its room at overlapping times. While it is open
    the reservation is not sent to that calendar; a person keeps ours or gives way."""

    created_at = models.DateTimeField("found at", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reservation = models.ForeignKey(
        "bookings.Reservation", on_delete=models.CASCADE, related_name="outlook_conflicts"
    )
    sync_connection = models.ForeignKey(
        SyncConnection, on_delete=models.CASCADE, related_name="conflicts"
    )
    origin = models.CharField(max_length=10, choices=ConflictOrigin.choices)
    event_id = models.CharField("Outlook event id", max_length=255)
    subject = models.CharField(max_length=255, blank=True)
    organizer_email = models.CharField("organizer", max_length=320, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    outlook_data = models.JSONField(
        "original Outlook data", default=dict, blank=True, help_text="The meeting as found."
    )
    state = models.CharField(
        max_length=10, choices=ConflictState.choices, default=ConflictState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was decided so (sent with a decline).")

    objects = OutlookConflictQuerySet.as_manager()

    class Meta:
        verbose_name = "conflict with Outlook"
        verbose_name_plural = "conflicts with Outlook"
        permissions = [("decide_outlookconflict", "Can keep ours or give way")]
        constraints = [
            # Found again (the next push, a resync) while a person decides: one conflict.
            models.UniqueConstraint(
                fields=["reservation", "sync_connection", "event_id"],
                condition=Q(state=ConflictState.OPEN),
                name="outlookconflict_one_open",
            ),
            models.CheckConstraint(
                condition=Q(state=ConflictState.OPEN) | Q(decided_at__isnull=False),
                name="outlookconflict_decided_has_time",
            ),
        ]
        # Every admin filter and search (the subject's icontains: a trigram index on
        # PostgreSQL, migration 0010).
        indexes = [
            models.Index(fields=["state", "created_at"], name="outlookconflict_state"),
            models.Index(fields=["origin", "created_at"], name="outlookconflict_origin"),
            models.Index(fields=["event_id"], name="outlookconflict_event"),
        ]

    def __str__(self) -> str:
        return (
            f"'{self.subject or '(no subject)'}' in the way of reservation #{self.reservation_id}"
        )

    @property
    def is_open(self) -> bool:
        return self.state == ConflictState.OPEN

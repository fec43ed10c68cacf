"""What outbound sync knows: which Outlook event stands for which reservation, and which
reservations still have to be pushed."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.db import models
from django.db.models import F, Q

from common.work_queue import QueuedWork
from syncconnections.models.connections import SyncConnection


class EventKind(models.TextChoices):
    SINGLE = "single", "Single event"
    SERIES = "series", "Recurring series"
    OCCURRENCE = "occurrence", "Occurrence of a series"


class OutlookEvent(models.Model):
    """An event Bookbridge made in a connection's calendar.

    A reservation's link outlives the reservation (its reservation becomes empty): such an
    orphan tells the outbound sync to delete the event.
    """

    sync_connection = models.ForeignKey(
        SyncConnection, on_delete=models.CASCADE, related_name="outlook_events"
    )
    kind = models.CharField(max_length=12, choices=EventKind.choices, default=EventKind.SINGLE)
    reservation = models.ForeignKey(
        "bookings.Reservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outlook_events",
    )
    series = models.ForeignKey(
        "bookings.ReservationSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outlook_events",
    )
    mailbox = models.CharField(
        max_length=320, help_text="The mailbox the event is in (the connection's, when made)."
    )
    event_id = models.CharField("Outlook event id", max_length=255)
    ical_uid = models.CharField("iCalUId", max_length=255, blank=True)
    change_key = models.CharField(max_length=100, blank=True)
    pushed = models.JSONField(
        default=dict, blank=True, help_text="The event fields as last sent to Outlook."
    )
    # Loop guard: updates pushed in the current 24-hour window.
    update_window_start = models.DateTimeField(null=True, blank=True)
    update_count = models.PositiveIntegerField(default=0)
    updates_stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Outlook event"
        constraints = [
            models.UniqueConstraint(
                fields=["sync_connection", "reservation"],
                condition=Q(reservation__isnull=False),
                name="outlookevent_one_per_reservation",
            ),
            models.UniqueConstraint(
                fields=["sync_connection", "series"],
                condition=Q(series__isnull=False, kind="series"),
                name="outlookevent_one_per_series",
            ),
            models.UniqueConstraint(
                fields=["sync_connection", "event_id"], name="outlookevent_unique_event"
            ),
            # A meeting has one copy per calendar (event.md: iCalUId is the same in every
            # calendar, and different for each occurrence of a series).
            models.UniqueConstraint(
                fields=["sync_connection", "ical_uid"],
                condition=~Q(ical_uid=""),
                name="outlookevent_unique_meeting",
            ),
        ]
        indexes = [
            models.Index(
                fields=["ical_uid"], condition=~Q(ical_uid=""), name="outlookevent_meeting"
            ),
            models.Index(
                fields=["sync_connection"],
                condition=Q(reservation__isnull=True, series__isnull=True),
                name="outlookevent_orphans",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_id[:20]}… in {self.sync_connection}"

    @property
    def is_orphan(self) -> bool:
        return self.reservation_id is None and self.series_id is None


class OutlookCreation(models.Model):
    """The transactionId Bookbridge creates a reservation's event with in one calendar.

    Graph never makes a second event for a transactionId it has seen in a mailbox (a repeat
    answers with the first event, even one cancelled or deleted since), which is what makes
    a retried create safe. So a create that is retried (no link yet: the answer was lost)
    repeats its transactionId, and a create that follows a linked event that is gone (Keep
    after an Outlook cancellation, a reservation moved back to a room) takes the next
    generation, a new transactionId. Saved before the call; `linked` once a link holds the
    event it made.
    """

    sync_connection = models.ForeignKey(
        SyncConnection, on_delete=models.CASCADE, related_name="creations"
    )
    reservation = models.ForeignKey(
        "bookings.Reservation", on_delete=models.CASCADE, related_name="outlook_creations"
    )
    generation = models.PositiveIntegerField(default=0)
    transaction_id = models.UUIDField(db_index=True)
    linked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sync_connection", "reservation"], name="outlookcreation_one_per_calendar"
            ),
        ]

    def __str__(self) -> str:
        return f"Creation {self.generation} of reservation {self.reservation_id}"

    @staticmethod
    def transaction_id_for(reservation_uuid: uuid.UUID, generation: int) -> uuid.UUID:
        """The first event of a reservation is made with its UUID (as always); each later
        one with an id derived from the UUID and the generation."""
        if generation == 0:
            return reservation_uuid
        return uuid.uuid5(reservation_uuid, f"outlook-event/{generation}")


def link_order(link: OutlookEvent) -> tuple[int, str]:
    """The one order links are inserted in: two transactions inserting some of the same
    links (a push, and the Sync Down that adopts its events) then take their unique-index
    locks in the same order, and cannot deadlock."""
    return (link.sync_connection_id, link.event_id)


class OutboxQuerySet(models.QuerySet):
    def add(self, reservation_ids: Collection[int]) -> None:
        """Put reservations in the outbox. An entry already there gets a new version, so a
        worker busy with it works on it again afterwards, with the state of now."""
        self.filter(reservation_id__in=reservation_ids).update(
            version=F("version") + 1, not_before=None
        )
        self.bulk_create(
            [OutboxEntry(reservation_id=pk) for pk in reservation_ids], ignore_conflicts=True
        )


class OutboxEntry(QueuedWork):
    """A reservation whose Outlook events must be brought up to date.

    Written in the transaction of the change. The outbound worker claims entries with a
    conditional update and deletes them when done, so a crash leaves them to run again. A
    change that arrives while an entry is being worked on bumps its version: the worker then
    leaves the entry (releasing its claim) to be worked on again with the new state.
    """

    reservation = models.OneToOneField(
        "bookings.Reservation", on_delete=models.CASCADE, related_name="outbox_entry"
    )
    queued_at = models.DateTimeField(auto_now_add=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "outbox entries"
        indexes = [models.Index(fields=["queued_at"], name="outboxentry_queue")]

    def __str__(self) -> str:
        return f"Outbox: reservation {self.reservation_id}"


class WakeUp(models.Model):
    """A flag per background worker: raised when work arrives, lowered when the worker
    starts. Raising it with a conditional update enqueues the worker at most once."""

    name = models.CharField(max_length=50, unique=True)
    raised = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({'raised' if self.raised else 'lowered'})"

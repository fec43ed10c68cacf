"""The booking domain. It knows no integration: it announces changes through bookings.signals."""

from __future__ import annotations

import bisect
import contextlib
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from bookings import signals
from bookings.overlaps import OVERLAP_CONSTRAINT, RoomDoubleBooked
from common import bulk


class ReservationStatus(models.TextChoices):
    CONCEPT = "concept", "Concept"
    OPTION = "option", "Option"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    CLOSED = "closed", "Closed"

    @property
    def occupies_room(self) -> bool:
        """Whether a reservation in this status holds its room, so that no other may overlap
        it: every status but cancelled (a concept or option holds the room while it is
        decided; a completed or closed one did hold it)."""
        return self != ReservationStatus.CANCELLED


# A reservation in one of these states is over: it can no longer be cancelled.
FINAL_STATUSES = frozenset(
    {ReservationStatus.COMPLETED, ReservationStatus.CANCELLED, ReservationStatus.CLOSED}
)


# The statuses that hold a room: the no-overlap rule (bookings/overlaps.py and the database
# constraint reservation_no_overlap) applies to these.
OCCUPYING_STATUSES = frozenset(s for s in ReservationStatus if s.occupies_room)


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "Outbound (made in Bookbridge)"
    INBOUND = "inbound", "Inbound (made in Outlook)"


def default_time_zone() -> str:
    return settings.TIME_ZONE


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as Europe/Amsterdam.")


def money_field(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        **kwargs,
    )


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Location(TimestampedModel):
    name = models.CharField(max_length=200, unique=True)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA time zone of the building; reservations are sent to Outlook in it.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Resource(TimestampedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=200)
    mailbox_email = models.EmailField(
        "mailbox e-mail",
        blank=True,
        help_text="The room's Microsoft 365 mailbox, e.g. room.boardroom@contoso.com.",
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="People it seats.")
    shared_space = models.BooleanField(
        default=False,
        help_text="Reservations may overlap here (an open workspace or hall shared by several "
        "groups). Other resources hold one reservation at a time.",
    )
    price = money_field(help_text="Price charged per reservation (posted to the PMS).")
    charge_code = models.CharField(max_length=50, blank=True, help_text="PMS charge code.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="resource_unique_name"),
            models.UniqueConstraint(
                Lower("mailbox_email"),
                condition=~Q(mailbox_email=""),
                name="resource_unique_mailbox",
                violation_error_message="Another resource already uses this mailbox e-mail.",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="resource_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})" if self.location_id else self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.mailbox_email = self.mailbox_email.strip().lower()
        with transaction.atomic():
            super().save(*args, **kwargs)
            # The database's no-overlap rule reads the flag on each reservation's row.
            Reservation.objects.filter(resource_id=self.pk).exclude(
                exclusive=not self.shared_space
            ).update(exclusive=not self.shared_space)

    def clean(self) -> None:
        if self.pk and not self.shared_space:
            held = list(
                Reservation.objects.filter(resource_id=self.pk, status__in=OCCUPYING_STATUSES)
            )
            for reservation in held:
                reservation.exclusive = True  # as they would be
            pairs = overlapping_pairs(held)
            if pairs:
                later, earlier = pairs[0]
                raise ValidationError(
                    {
                        "shared_space": f"{len(pairs)} reservation(s) here overlap another, "
                        f"e.g. #{earlier.pk} '{earlier.title}' and #{later.pk} '{later.title}': "
                        "cancel or move them first."
                    }
                )


class Staff(TimestampedModel):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField("e-mail", help_text="Also the staff member's Microsoft 365 mailbox.")
    job_title = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "staff"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="staff_unique_email",
                violation_error_message="Another staff member already uses this e-mail.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class Account(TimestampedModel):
    """A company that books; its fields mirror the PMS company account payload."""

    name = models.CharField(max_length=200, db_index=True)
    account_number = models.CharField(max_length=50, blank=True)
    street1 = models.CharField("street 1", max_length=200, blank=True)
    street2 = models.CharField("street 2", max_length=200, blank=True)
    street3 = models.CharField("street 3", max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    contact_first_name = models.CharField(max_length=100, blank=True)
    contact_last_name = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField("contact e-mail", blank=True)
    contact_phone = models.CharField(max_length=50, blank=True)
    contact_job_title = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_number"],
                condition=~Q(account_number=""),
                name="account_unique_number",
                violation_error_message="Another account already has this account number.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Service(TimestampedModel):
    """Something booked with a reservation (catering, equipment), priced per unit."""

    name = models.CharField(max_length=200, unique=True)
    price = money_field(help_text="Default unit price.")
    charge_code = models.CharField(max_length=50, blank=True, help_text="PMS charge code.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


def series_status(occurrence_statuses: Iterable[str]) -> str | None:
    """The status a series takes from its occurrences, or None when the rules say nothing.

    All confirmed → confirmed; all cancelled → cancelled; all closed → closed; all cancelled
    or closed with at least one closed → closed.
    """
    statuses = set(occurrence_statuses)
    if not statuses:
        return None
    if statuses == {ReservationStatus.CONFIRMED}:
        return ReservationStatus.CONFIRMED
    if statuses == {ReservationStatus.CANCELLED}:
        return ReservationStatus.CANCELLED
    if ReservationStatus.CLOSED in statuses and statuses <= {
        ReservationStatus.CLOSED,
        ReservationStatus.CANCELLED,
    }:
        return ReservationStatus.CLOSED
    return None


class ReservationSeries(TimestampedModel):
    """A recurring reservation; its occurrences are Reservations pointing at it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=255)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="series")
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="series"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="series"
    )
    recurrence = models.JSONField(
        default=dict,
        blank=True,
        help_text="The recurrence in Microsoft Graph's patternedRecurrence shape "
        '({"pattern": {...}, "range": {...}}).',
    )
    status = models.CharField(
        max_length=20, choices=ReservationStatus.choices, default=ReservationStatus.CONCEPT
    )
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )

    occurrences_complete = models.BooleanField(
        "all occurrences created",
        default=False,
        help_text="Tick once every occurrence exists: only then is the series sent to Outlook, "
        "as one recurring event.",
    )

    class Meta:
        verbose_name_plural = "reservation series"

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        was_complete = (
            not self._state.adding
            and type(self)._base_manager.filter(pk=self.pk, occurrences_complete=True).exists()
        )
        with transaction.atomic():
            super().save(*args, **kwargs)
            # Created complete (no occurrences yet) is not the moment: ticking it later is.
            if self.occurrences_complete and not was_complete and self.occurrences.exists():
                signals.series_completed.send(sender=ReservationSeries, series=self)

    @property
    def is_inbound(self) -> bool:
        return self.direction == Direction.INBOUND

    def refresh_status(self) -> bool:
        """Apply series_status() to the stored occurrences; True when the status changed."""
        new_status = series_status(self.occurrences.values_list("status", flat=True))
        if new_status is None or new_status == self.status:
            return False
        self.status = new_status
        self.save(update_fields=["status", "updated_at"])
        return True


class ReservationQuerySet(models.QuerySet):
    def occupying(self) -> ReservationQuerySet:
        """Reservations that hold their room: no other may overlap them."""
        return self.filter(exclusive=True, status__in=OCCUPYING_STATUSES)

    def overlapping(self, start: Any, end: Any) -> ReservationQuerySet:
        """Reservations whose time overlaps [start, end); back-to-back ones do not."""
        return self.filter(start__lt=end, end__gt=start)


class Reservation(TimestampedModel):
    # Changes to these fields are announced through bookings.signals.
    TRACKED_FIELDS = (
        "resource_id",
        "staff_id",
        "account_id",
        "series_id",
        "title",
        "description",
        "start",
        "end",
        "status",
    )

    uuid = models.UUIDField(
        "UUID",
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Stable id, sent to Outlook as transactionId so a retried create is one event.",
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="reservations")
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="reservations"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="reservations"
    )
    series = models.ForeignKey(
        ReservationSeries,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="occurrences",
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=ReservationStatus.choices, default=ReservationStatus.CONCEPT
    )
    direction = models.CharField(
        max_length=10,
        choices=Direction.choices,
        default=Direction.OUTBOUND,
        help_text="Inbound reservations came from Outlook and are changed only there.",
    )
    organizer_email = models.EmailField(
        "organizer e-mail", blank=True, help_text="For inbound reservations: the Outlook organizer."
    )
    # The resource's "not a shared space", copied here because the database's no-overlap
    # constraint can only read the reservation's own row. Kept in step by save() and by
    # Resource.save().
    exclusive = models.BooleanField(default=True, editable=False)

    objects = ReservationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="reservation_ends_after_start",
                violation_error_message="The end must be after the start.",
            ),
        ]
        indexes = [
            models.Index(fields=["resource", "start"], name="reservation_resource_start"),
            models.Index(fields=["start"], name="reservation_start"),
            models.Index(fields=["status", "start"], name="reservation_status_start"),
            models.Index(fields=["direction", "start"], name="reservation_direction_start"),
        ]

    def __str__(self) -> str:
        if not self.start:
            return self.title
        return f"{self.title} ({timezone.localtime(self.start):%Y-%m-%d %H:%M})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and announce what changed (bookings.signals) inside the same transaction.

        An update writes only the fields this instance changed, and compares them with the
        row as locked in the database: a concurrent save of other fields is not undone, and
        a change someone else already made is not announced twice.
        """
        if self._state.adding or kwargs.get("force_insert"):
            self.exclusive = not self.resource.shared_space
            with self._overlap_refused(), transaction.atomic():
                self._check_room()
                super().save(*args, **kwargs)
                self._announce_created()
            self._remember_stored_values()
            return
        if kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [*self._unsaved_field_names(), "updated_at"]
        if "resource" in kwargs["update_fields"]:
            self.exclusive = not self.resource.shared_space
            kwargs["update_fields"] = [*kwargs["update_fields"], "exclusive"]
        saved = {self._meta.get_field(name).attname for name in kwargs["update_fields"]}
        tracked = [name for name in self.TRACKED_FIELDS if name in saved]
        with self._overlap_refused(), transaction.atomic():
            stored = (
                type(self)
                ._base_manager.select_for_update()
                .filter(pk=self.pk)
                .values(*tracked)
                .first()
                if tracked
                else {}
            ) or {}
            if any(stored.get(n, getattr(self, n)) != getattr(self, n) for n in self.ROOM_FIELDS):
                self._check_room()
            super().save(*args, **kwargs)
            self._announce_changes(
                {
                    name: (stored[name], getattr(self, name))
                    for name in tracked
                    if name in stored and stored[name] != getattr(self, name)
                }
            )
        self._remember_stored_values()

    def get_absolute_url(self) -> str:
        return reverse("admin:bookings_reservation_change", args=[self.pk])

    # --- one reservation per room at a time --------------------------------------------------

    # A change of these may make a reservation overlap another.
    ROOM_FIELDS = ("resource_id", "start", "end", "status")

    def first_overlap(self) -> Reservation | None:
        """The first reservation holding this one's room at an overlapping time, if this one
        would hold it too (its status occupies a room that is not a shared space)."""
        if not (self.exclusive and self.start and self.end and self.resource_id):
            return None
        if self.status not in OCCUPYING_STATUSES:
            return None
        return (
            Reservation.objects.occupying()
            .overlapping(self.start, self.end)
            .filter(resource_id=self.resource_id)
            .exclude(pk=self.pk)
            .select_related("resource__location")
            .order_by("start", "pk")
            .first()
        )

    def _check_room(self) -> None:
        # Inside the saving transaction: on SQLite that holds the write lock (transaction
        # mode IMMEDIATE), so no other write can book the room between this and the save.
        blocking = self.first_overlap()
        if blocking is not None:
            raise RoomDoubleBooked(blocking)

    @contextlib.contextmanager
    def _overlap_refused(self) -> Iterator[None]:
        """Around the saving transaction (or savepoint, when nested): on PostgreSQL a
        reservation committed since the check trips the exclusion constraint; once that is
        rolled back, the caller hears the same error as from the check."""
        try:
            yield
        except IntegrityError as exc:
            if OVERLAP_CONSTRAINT not in str(exc):
                raise
            raise RoomDoubleBooked(self.first_overlap()) from exc

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})
        if self.resource_id:
            self.exclusive = not self.resource.shared_space
            self._check_room()
        series = self.series if self.series_id else None
        if series is not None and series.is_inbound and not self.is_inbound:
            raise ValidationError(
                {"series": "This series was made in Outlook: only Outlook adds occurrences."}
            )
        if series is not None and self.resource_id and series.resource_id != self.resource_id:
            raise ValidationError({"series": "The series is booked for another resource."})

    @property
    def is_inbound(self) -> bool:
        return self.direction == Direction.INBOUND

    @property
    def can_be_cancelled(self) -> bool:
        return self.status not in FINAL_STATUSES

    # --- change tracking -------------------------------------------------------------------

    @classmethod
    def from_db(cls, db: str, field_names: Iterable[str], values: Iterable[Any]) -> Reservation:
        instance = super().from_db(db, field_names, values)
        instance._remember_stored_values()
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_stored_values()

    def _remember_stored_values(self) -> None:
        deferred = self.get_deferred_fields()
        self._stored = {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.attname not in deferred
        }

    def _unsaved_field_names(self) -> list[str]:
        """Fields whose value differs from what was loaded (or that were not loaded)."""
        stored = getattr(self, "_stored", {})
        missing = object()
        return [
            f.name
            for f in self._meta.concrete_fields
            if not f.primary_key
            and f.attname in self.__dict__
            and stored.get(f.attname, missing) != getattr(self, f.attname)
        ]

    def _announce_created(self) -> None:
        signals.reservation_created.send(sender=Reservation, reservation=self)
        signals.reservation_status_changed.send(
            sender=Reservation, reservation=self, old_status=None, new_status=self.status
        )

    def _announce_changes(self, changes: dict[str, tuple[Any, Any]]) -> None:
        if not changes:
            return
        signals.reservation_changed.send(sender=Reservation, reservation=self, changes=changes)
        if "status" in changes:
            old_status, new_status = changes["status"]
            signals.reservation_status_changed.send(
                sender=Reservation, reservation=self, old_status=old_status, new_status=new_status
            )


class ServiceReservation(TimestampedModel):
    """A service booked with a reservation; the unit price is fixed when it is booked."""

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="service_reservations"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Leave blank to use the service's price.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="service_reservation_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="service_reservation_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.service}" if self.service_id else f"{self.quantity} ×"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.unit_price is None:
            self.unit_price = self.service.price
        super().save(*args, **kwargs)

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


def overlapping_pairs(
    candidates: Iterable[Reservation],
) -> list[tuple[Reservation, Reservation]]:
    """(reservation, the one in its way) for each of `candidates` (stored or new) that would
    overlap a stored reservation of its room or an earlier one of `candidates`. A stored
    candidate is taken as planned (moved, or cancelled: then in no one's way). One query."""
    candidates = list(candidates)
    ids = {c.pk for c in candidates if c.pk}
    candidates = [c for c in candidates if c.exclusive and c.status in OCCUPYING_STATUSES]
    if not candidates:
        return []
    stored = (
        Reservation.objects.occupying()
        .overlapping(min(c.start for c in candidates), max(c.end for c in candidates))
        .filter(resource_id__in={c.resource_id for c in candidates})
        .select_related("resource__location")
    )
    held: dict[int, list[Reservation]] = defaultdict(list)  # by room, in order of time
    for reservation in stored.order_by("start"):
        if reservation.pk not in ids:
            held[reservation.resource_id].append(reservation)
    # Stored reservations of a room do not overlap one another, so their ends are in order
    # too: the first ending after a candidate starts is the only one to look at.
    ends = {room: [r.end for r in rows] for room, rows in held.items()}
    pairs = []
    kept: dict[int, Reservation] = {}  # per room, the candidate kept so far that ends last
    for candidate in sorted(candidates, key=lambda c: (c.resource_id, c.start)):
        room = candidate.resource_id
        after = bisect.bisect_right(ends.get(room, []), candidate.start)
        in_the_way = held[room][after] if after < len(held[room]) else None
        if in_the_way is not None and in_the_way.start >= candidate.end:
            in_the_way = None
        earlier = kept.get(room)
        if in_the_way is None and earlier is not None and candidate.start < earlier.end:
            in_the_way = earlier
        if in_the_way is not None:
            pairs.append((candidate, in_the_way))
        elif earlier is None or candidate.end > earlier.end:
            kept[room] = candidate
    return pairs


def create_reservations(reservations: list[Reservation]) -> list[Reservation]:
    """Insert many reservations at once, announced together (signals.reservations_created).
    Refused as a whole (RoomDoubleBooked) when one would overlap another of its room."""
    shared = set(
        Resource.objects.filter(
            pk__in={r.resource_id for r in reservations}, shared_space=True
        ).values_list("pk", flat=True)
    )
    for reservation in reservations:
        reservation.exclusive = reservation.resource_id not in shared
    with transaction.atomic():
        pairs = overlapping_pairs(reservations)
        if pairs:
            raise RoomDoubleBooked(pairs[0][1])
        bulk.insert(reservations, with_ids=True)
        for reservation in reservations:
            reservation._remember_stored_values()
        if reservations:
            signals.reservations_created.send(sender=Reservation, reservations=reservations)
    return reservations


@receiver(pre_delete, sender=Reservation, dispatch_uid="bookings.announce_deletion")
def _announce_deletion(sender: type[Reservation], instance: Reservation, **kwargs: Any) -> None:
    # Sent before the row goes (also for queryset and cascade deletes), so receivers can still
    # read what they need, inside the deleting transaction.
    signals.reservation_deleted.send(sender=Reservation, reservation=instance)


@receiver(signals.reservation_status_changed, sender=Reservation, dispatch_uid="bookings.series")
def _series_follows_occurrences(
    sender: type[Reservation], reservation: Reservation, **kwargs: Any
) -> None:
    if reservation.series_id:
        reservation.series.refresh_status()


@receiver(signals.reservations_created, sender=Reservation, dispatch_uid="bookings.series_batch")
def _series_follow_new_occurrences(
    sender: type[Reservation], reservations: list[Reservation], **kwargs: Any
) -> None:
    series = {r.series_id: r for r in reservations if r.series_id}
    for reservation in series.values():
        reservation.series.refresh_status()

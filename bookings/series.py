"""Booking a series from its pattern: its occurrences generated (bookings/recurrence.py),
checked against the room's other reservations in one query, and saved at once.

The admin and the API call `book_series`; the series is complete when booked, so it goes to
Outlook as one recurring event without anyone ticking "all occurrences created".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from bookings import signals
from bookings.models import (
    Reservation,
    ReservationSeries,
    ReservationStatus,
    Resource,
    Staff,
    create_reservations,
    overlapping_pairs,
)
from bookings.overlaps import occupied_message
from bookings.recurrence import occurrences

# What a series can be booked as (its occurrences' status).
BOOKABLE_STATUSES = [
    (s, label) for s, label in ReservationStatus.choices if s != ReservationStatus.CANCELLED
]


def max_occurrences(resource: Resource | None = None, staff: Staff | None = None) -> int:
    """The most occurrences a series booked from a pattern may have: the setting, or less
    where a calendar the series goes to syncs fewer (signals.occurrence_limit: the tenant's
    max occurrences)."""
    limits = [settings.MAX_SERIES_OCCURRENCES]
    if resource is not None:
        answers = signals.occurrence_limit.send(
            sender=ReservationSeries, resource=resource, staff=staff
        )
        limits += [limit for _, limit in answers if limit]
    return min(limits)


class SeriesClashes(ValidationError):
    """Occurrences that would overlap other reservations of the room; `clashes` names each
    (the occurrence, the reservation in its way)."""

    def __init__(self, clashes: list[tuple[Reservation, Reservation]]) -> None:
        self.clashes = clashes
        super().__init__(
            [f"{o.start:%a %d %b %Y}: {occupied_message(holder)}" for o, holder in clashes],
            code="double_booked",
        )


@dataclass
class BookedSeries:
    series: ReservationSeries
    occurrences: list[Reservation]
    skipped: list[tuple[Reservation, Reservation]] = field(default_factory=list)


def book_series(
    series: ReservationSeries,
    starts_at: dt.time,
    ends_at: dt.time,
    cap: int,
    skip_clashes: bool = False,
) -> BookedSeries:
    """Save the series (unsaved) and its occurrences. Occurrences that clash are refused
    (SeriesClashes, nothing saved) or, with `skip_clashes`, left out: the series' instances
    on those days are removed from Outlook once it is made. A pattern without an end is
    stored as the occurrences it made (at most `cap`)."""
    slots = occurrences(
        series.recurrence, starts_at, ends_at, series.resource.location.time_zone, cap
    )
    with transaction.atomic():
        if series.recurrence["range"].get("type") == "noEnd":
            series.recurrence["range"] = {
                "type": "numbered",
                "startDate": series.recurrence["range"]["startDate"],
                "numberOfOccurrences": len(slots),
            }
        series.occurrences_complete = False
        series.save()  # first: its occurrences point at it
        wanted = occurrences_of(series, slots)
        clashes = overlapping_pairs(wanted)
        if clashes and not skip_clashes:
            raise SeriesClashes(clashes)  # the series' own row goes with the transaction
        refused = {id(o) for o, _ in clashes}
        kept = create_reservations([o for o in wanted if id(o) not in refused])
        series.occurrences_complete = True  # announced now that the occurrences exist
        series.save()
    return BookedSeries(series, kept, clashes)


def occurrences_of(
    series: ReservationSeries, slots: list[tuple[dt.datetime, dt.datetime]]
) -> list[Reservation]:
    """The series' occurrences at these times, unsaved."""
    resource = series.resource
    return [
        Reservation(
            series=series,
            resource=resource,
            staff=series.staff,
            account=series.account,
            title=series.title,
            start=start,
            end=end,
            status=series.status,
            direction=series.direction,
            exclusive=not resource.shared_space,
        )
        for start, end in slots
    ]

"""Changing a series the way calendars do.

- *This occurrence*: save the occurrence (it becomes an exception; its Outlook instance is
  patched) or cancel it (the instance is deleted). Nothing here: it is a reservation's save.
- *This and following* (`change_following`, `cancel_following`): the series is split at the
  occurrence's day, as Outlook does: the series ends the day before, and the occurrences from
  that day on belong to a new series with the same pattern, which is then changed (or
  cancelled).
- *All* (`change_all`): the title, times or pattern change; the occurrences are regenerated.
  An exception (an occurrence moved or cancelled on its own) is kept as it is where its day
  still falls in the pattern; occurrences whose day no longer falls are cancelled.

Each is one transaction; a change that would double book a room is refused whole
(SeriesClashes) unless the clashing days are to be left out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from bookings import signals
from bookings.models import (
    FINAL_STATUSES,
    Reservation,
    ReservationSeries,
    ReservationStatus,
    create_reservations,
    overlapping_pairs,
)
from bookings.recurrence import occurrences
from bookings.series import SeriesClashes, max_occurrences, occurrences_of


class NotAnOccurrence(ValueError):
    """The reservation belongs to no series (or the series has no occurrence to change)."""


class MadeInOutlook(NotAnOccurrence):
    """The series was made in Outlook: it is changed only there."""


@dataclass
class Changes:
    """What an edit of several occurrences changes; None keeps what is there."""

    title: str | None = None
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    recurrence: dict[str, Any] | None = None  # Graph's patternedRecurrence
    skip_clashes: bool = False


@dataclass
class Edited:
    series: ReservationSeries
    changed: list[Reservation] = field(default_factory=list)
    created: list[Reservation] = field(default_factory=list)
    cancelled: list[Reservation] = field(default_factory=list)
    skipped: list[tuple[Reservation, Reservation]] = field(default_factory=list)


def editable_series(occurrence: Reservation) -> ReservationSeries:
    series = occurrence.series if occurrence.series_id else None
    if series is None:
        raise NotAnOccurrence("This reservation is not an occurrence of a series.")
    if series.is_inbound:
        raise MadeInOutlook("This series was made in Outlook: it is changed only there.")
    return series


def zone_of(series: ReservationSeries) -> ZoneInfo:
    return ZoneInfo(series.resource.location.time_zone)


def usual_times(series: ReservationSeries) -> tuple[dt.time, dt.time] | None:
    """The times most of the series' occurrences keep (local): the series' own times."""
    zone = zone_of(series)
    counted = Counter(
        (start.astimezone(zone).time(), end.astimezone(zone).time())
        for start, end in series.occurrences.exclude(
            status=ReservationStatus.CANCELLED
        ).values_list("start", "end")
    )
    return counted.most_common(1)[0][0] if counted else None


def _day_starts(series: ReservationSeries, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone_of(series))


def split_at(occurrence: Reservation) -> ReservationSeries:
    """Outlook's "this and following": the series ends the day before this occurrence, and
    this occurrence and the following ones become a new series with the same pattern from
    this day (the rest of its occurrences). The series itself when nothing comes before."""
    series = editable_series(occurrence)
    zone = zone_of(series)
    day = occurrence.start.astimezone(zone).date()
    with transaction.atomic():
        series = ReservationSeries.objects.select_for_update().get(pk=series.pk)
        following = list(
            series.occurrences.filter(start__gte=_day_starts(series, day)).order_by("start")
        )
        if not series.occurrences.filter(start__lt=_day_starts(series, day)).exists():
            return series
        new = ReservationSeries(
            title=series.title,
            resource=series.resource,
            staff=series.staff,
            account=series.account,
            status=series.status,
            direction=series.direction,
            recurrence=_following_recurrence(series.recurrence, day, len(following)),
        )
        new.save()
        for moved in following:
            moved.series = new
            moved.save(update_fields=["series", "updated_at"])
        series.recurrence = _ended_recurrence(series.recurrence, day - dt.timedelta(days=1))
        series.save(update_fields=["recurrence", "updated_at"])
        signals.series_reshaped.send(sender=ReservationSeries, series=series)
        new.occurrences_complete = True  # announced now that its occurrences are there
        new.save()
        series.refresh_status()
        new.refresh_status()
    return new


def _following_recurrence(recurrence: dict[str, Any], day: dt.date, count: int) -> dict[str, Any]:
    range_ = dict(recurrence.get("range") or {})
    range_["startDate"] = day.isoformat()
    if range_.get("type") == "numbered":
        range_["numberOfOccurrences"] = count
    return {"pattern": dict(recurrence.get("pattern") or {}), "range": range_}


def _ended_recurrence(recurrence: dict[str, Any], last_day: dt.date) -> dict[str, Any]:
    range_ = recurrence.get("range") or {}
    return {
        "pattern": dict(recurrence.get("pattern") or {}),
        "range": {
            "type": "endDate",
            "startDate": range_.get("startDate") or last_day.isoformat(),
            "endDate": last_day.isoformat(),
        },
    }


def cancel_following(occurrence: Reservation) -> Edited:
    """Cancel this occurrence and the following ones: the series ends the day before (split
    off, the following part is cancelled whole). Occurrences already over stay as they are."""
    with transaction.atomic():
        following = split_at(occurrence)
        cancelled = []
        for reservation in following.occurrences.exclude(status__in=FINAL_STATUSES).order_by(
            "start"
        ):
            reservation.status = ReservationStatus.CANCELLED
            reservation.save(update_fields=["status", "updated_at"])
            cancelled.append(reservation)
    return Edited(following, cancelled=cancelled)


def change_following(occurrence: Reservation, changes: Changes) -> Edited:
    """Outlook's "this and following": split at this occurrence, then change the new series
    whole. Nothing is split when the change is refused."""
    with transaction.atomic():
        return change_all(split_at(occurrence), changes)


def change_all(series: ReservationSeries, changes: Changes) -> Edited:
    """Change every occurrence: new title, times or pattern; the occurrences regenerated."""
    if series.is_inbound:
        raise MadeInOutlook("This series was made in Outlook: it is changed only there.")
    zone = zone_of(series)
    with transaction.atomic():
        series = ReservationSeries.objects.select_for_update().get(pk=series.pk)
        old_times = usual_times(series)
        if old_times is None:
            raise NotAnOccurrence("This series has no occurrence left to change.")
        starts_at = changes.starts_at or old_times[0]
        ends_at = changes.ends_at or old_times[1]
        recurrence = changes.recurrence or series.recurrence
        cap = max_occurrences(series.resource, series.staff)
        slots = occurrences(recurrence, starts_at, ends_at, zone.key, cap)
        title = changes.title or series.title
        plan = _plan(series, old_times, slots, title)
        clashes = overlapping_pairs([*plan.changed, *plan.created, *plan.cancelled])
        if clashes and not changes.skip_clashes:
            raise SeriesClashes(clashes)
        plan.skipped = clashes
        _skip(plan, {id(o) for o, _ in clashes})
        for reservation in plan.cancelled:
            reservation.save(update_fields=["status", "updated_at"])
        for reservation in plan.changed:
            reservation.save(update_fields=["title", "start", "end", "updated_at"])
        create_reservations(plan.created)
        series.title = title
        series.recurrence = _bounded(recurrence, len(slots))
        series.save(update_fields=["title", "recurrence", "updated_at"])
        signals.series_reshaped.send(sender=ReservationSeries, series=series)
        series.refresh_status()
    plan.series = series
    return plan


def _plan(
    series: ReservationSeries,
    old_times: tuple[dt.time, dt.time],
    slots: list[tuple[dt.datetime, dt.datetime]],
    title: str,
) -> Edited:
    """Which occurrences move to the new slots, which are new, which no longer fall."""
    zone = zone_of(series)
    by_day: dict[dt.date, Reservation] = {}
    for reservation in series.occurrences.order_by("start"):
        by_day.setdefault(reservation.start.astimezone(zone).date(), reservation)
    plan = Edited(series)
    wanted = {start.date(): (start, end) for start, end in slots}
    status = _status_of_new(series)
    for day, reservation in by_day.items():
        if day not in wanted:
            if reservation.status not in FINAL_STATUSES:
                reservation.status = ReservationStatus.CANCELLED
                plan.cancelled.append(reservation)
            continue
        if _is_exception(reservation, series, old_times, zone):
            continue  # moved, renamed or cancelled on its own: kept where its day still falls
        start, end = wanted[day]
        if (reservation.title, reservation.start, reservation.end) != (title, start, end):
            reservation.title, reservation.start, reservation.end = title, start, end
            plan.changed.append(reservation)
    new_slots = [slot for day, slot in wanted.items() if day not in by_day]
    plan.created = occurrences_of(series, new_slots)
    for reservation in plan.created:
        reservation.title, reservation.status = title, status
    return plan


def _is_exception(
    reservation: Reservation,
    series: ReservationSeries,
    old_times: tuple[dt.time, dt.time],
    zone: ZoneInfo,
) -> bool:
    times = (reservation.start.astimezone(zone).time(), reservation.end.astimezone(zone).time())
    return (
        reservation.status in FINAL_STATUSES
        or times != old_times
        or reservation.title != series.title
    )


def _status_of_new(series: ReservationSeries) -> str:
    """New occurrences take the status most occurrences have."""
    counted = Counter(
        series.occurrences.exclude(status__in=FINAL_STATUSES).values_list("status", flat=True)
    )
    return counted.most_common(1)[0][0] if counted else ReservationStatus.CONFIRMED


def _skip(plan: Edited, refused: set[int]) -> None:
    """Left out: a clashing move leaves that occurrence cancelled, a clashing new one is not
    made (the series' exceptions on those days)."""
    for reservation in plan.changed:
        if id(reservation) in refused:
            reservation.refresh_from_db()
            reservation.status = ReservationStatus.CANCELLED
            plan.cancelled.append(reservation)
    plan.changed = [r for r in plan.changed if id(r) not in refused]
    plan.created = [r for r in plan.created if id(r) not in refused]


def _bounded(recurrence: dict[str, Any], count: int) -> dict[str, Any]:
    """A pattern without an end is stored as the occurrences it made, as book_series does."""
    range_ = recurrence.get("range") or {}
    if range_.get("type") != "noEnd":
        return recurrence
    return {
        "pattern": recurrence["pattern"],
        "range": {
            "type": "numbered",
            "startDate": range_.get("startDate"),
            "numberOfOccurrences": count,
        },
    }

"""The Outlook event a reservation (or series) should be, in Graph's JSON shape."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from bookings.models import Reservation, ReservationSeries, ReservationStatus
from syncconnections.models import SyncConnection

# How the time shows in Outlook's free/busy view.
TENTATIVE = {ReservationStatus.CONCEPT, ReservationStatus.OPTION}


def local_time(moment: dt.datetime, time_zone: str) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M:%S"),
        "timeZone": time_zone,
    }


def parse_local(value: dict[str, str]) -> dt.datetime:
    """The moment of a {"dateTime", "timeZone"} as local_time() writes it."""
    naive = dt.datetime.fromisoformat(value["dateTime"][:19])
    return naive.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))


def utc_minute(moment: dt.datetime) -> str:
    """How Graph writes a time in UTC, to the minute: 2026-11-23T08:30."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def attendee(address: str, name: str, kind: str) -> dict[str, Any]:
    return {"emailAddress": {"address": address, "name": name}, "type": kind}


def attendees(
    booking: Reservation | ReservationSeries, connection: SyncConnection, connected: set[str]
) -> list[dict[str, Any]]:
    """In a room's calendar the staff member attends; in a user's calendar the room does.

    Someone whose own calendar is connected is left out: Bookbridge writes their event
    directly, and an invitation would put a second copy in their calendar.
    """
    found = []
    if connection.resource_id and booking.staff and booking.staff.email not in connected:
        found.append(attendee(booking.staff.email, str(booking.staff), "required"))
    mailbox = booking.resource.mailbox_email
    if connection.staff_id and mailbox and mailbox not in connected:
        found.append(attendee(mailbox, booking.resource.name, "resource"))
    return found


def body(booking: Reservation | ReservationSeries, link: str) -> dict[str, str]:
    description = getattr(booking, "description", "")
    text = f"{description}\n\n" if description else ""
    return {"contentType": "text", "content": f"{text}Booked in Bookbridge: {link}"}


def link_to(booking: Reservation | ReservationSeries) -> str:
    """The back-office page of a reservation; an occurrence's is its series' page, as in
    Outlook the series carries the body."""
    if isinstance(booking, Reservation) and booking.series_id:
        booking = booking.series
    name = "reservation" if isinstance(booking, Reservation) else "reservationseries"
    return settings.PUBLIC_BASE_URL + reverse(f"admin:bookings_{name}_change", args=[booking.pk])


def reservation_event(
    reservation: Reservation, connection: SyncConnection, connected: set[str]
) -> dict[str, Any]:
    resource = reservation.resource
    time_zone = resource.location.time_zone
    return {
        "subject": reservation.title,
        "body": body(reservation.series or reservation, link_to(reservation)),
        "start": local_time(reservation.start, time_zone),
        "end": local_time(reservation.end, time_zone),
        "location": {"displayName": f"{resource.name}, {resource.location.name}"},
        "attendees": attendees(reservation, connection, connected),
        "showAs": "tentative" if reservation.status in TENTATIVE else "busy",
    }


def series_event(
    series: ReservationSeries, first: Reservation, connection: SyncConnection, connected: set[str]
) -> dict[str, Any]:
    """The recurring event: the first occurrence's times, the series' recurrence."""
    event = reservation_event(first, connection, connected)
    time_zone = series.resource.location.time_zone
    recurrence = {
        "pattern": dict(series.recurrence.get("pattern", {})),
        "range": {
            **series.recurrence.get("range", {}),
            "startDate": first.start.astimezone(ZoneInfo(time_zone)).date().isoformat(),
        },
    }
    return {**event, "subject": series.title, "recurrence": recurrence}


def changes(desired: dict[str, Any], pushed: dict[str, Any]) -> dict[str, Any]:
    """The fields of `desired` that differ from what was last pushed."""
    return {key: value for key, value in desired.items() if pushed.get(key) != value}

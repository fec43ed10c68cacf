"""The Outlook event a reservation (or series) should be, in Graph's JSON shape."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.urls import reverse

# CLDR's windowsZones mapping (Windows time zone names and IANA zones), as kept by tzlocal.
from tzlocal.windows_tz import tz_win as IANA_TO_WINDOWS
from tzlocal.windows_tz import win_tz as WINDOWS_TO_IANA

from bookings.models import Reservation, ReservationSeries, ReservationStatus
from syncconnections.models import SyncConnection

logger = logging.getLogger(__name__)

# How the time shows in Outlook's free/busy view.
TENTATIVE = {ReservationStatus.CONCEPT, ReservationStatus.OPTION}


def graph_zone_name(time_zone: str) -> str:
    """The name Graph is sent for an IANA zone: its Windows name. Graph accepts Windows names
    and only a short list of IANA ones (resources/datetimetimezone.md: Europe/Amsterdam is
    not among them), so a zone without a Windows name goes as UTC, its times converted."""
    return IANA_TO_WINDOWS.get(time_zone, "UTC")


def zone_of(name: str) -> ZoneInfo:
    """The zone of a timeZone Graph sends: a Windows or an IANA name. Graph sends times in
    UTC unless asked otherwise; a name it has of its own (a custom zone) is read as UTC."""
    try:
        return ZoneInfo(WINDOWS_TO_IANA.get(name, name or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r from Graph read as UTC", name[:100])
        return ZoneInfo("UTC")


def local_time(moment: dt.datetime, time_zone: str) -> dict[str, str]:
    """A moment as Graph's dateTimeTimeZone, in the time of the location's zone."""
    name = graph_zone_name(time_zone)
    zone = ZoneInfo(time_zone if name != "UTC" else "UTC")
    return {"dateTime": moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": name}


def parse_local(value: dict[str, str]) -> dt.datetime:
    """The moment of a {"dateTime", "timeZone"}, whichever zone name Graph used."""
    naive = dt.datetime.fromisoformat(value["dateTime"][:19])
    return naive.replace(tzinfo=zone_of(value.get("timeZone") or "UTC"))


def event_times(start: dt.datetime, end: dt.datetime, time_zone: str) -> dict[str, Any]:
    """start, end and isAllDay of an event from start to end in a location's zone. From
    midnight to midnight there it is an all-day event (event.md: midnights, in one zone)."""
    all_day = is_all_day(start, end, time_zone)
    if not all_day:
        return {
            "start": local_time(start, time_zone),
            "end": local_time(end, time_zone),
            "isAllDay": False,
        }
    name = graph_zone_name(time_zone)
    zone = ZoneInfo(time_zone)
    return {
        "start": {"dateTime": f"{start.astimezone(zone).date()}T00:00:00", "timeZone": name},
        "end": {"dateTime": f"{end.astimezone(zone).date()}T00:00:00", "timeZone": name},
        "isAllDay": True,
    }


def is_all_day(start: dt.datetime, end: dt.datetime, time_zone: str) -> bool:
    zone = ZoneInfo(time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return (
        local_end > local_start
        and local_start.time() == dt.time(0)
        and local_end.time() == dt.time(0)
    )


def times_from_graph(data: dict[str, Any], time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """An event's start and end. An all-day event's midnights are those of the zone it was
    read in (UTC, unless asked otherwise): its days are taken as days of `time_zone`."""
    start, end = parse_local(data["start"]), parse_local(data["end"])
    if not data.get("isAllDay"):
        return start, end
    zone = ZoneInfo(time_zone)
    return (
        dt.datetime.combine(start.date(), dt.time(0), zone),
        dt.datetime.combine(end.date(), dt.time(0), zone),
    )


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
        **event_times(reservation.start, reservation.end, time_zone),
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
            "recurrenceTimeZone": graph_zone_name(time_zone),
        },
    }
    return {**event, "subject": series.title, "recurrence": recurrence}


def holds(body: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Whether the event Graph returned is the one asked for. A create that repeats an
    earlier transactionId returns the earlier event, which may predate a later change."""
    if body.get("subject") != payload.get("subject"):
        return False
    if bool(body.get("isAllDay")) != bool(payload.get("isAllDay")):
        return False
    for name in ("start", "end"):
        sent, held = payload.get(name), body.get(name)
        if not sent or not held:
            return False
        if payload.get("isAllDay"):  # midnights of whichever zone: the days must agree
            if str(sent["dateTime"])[:10] != str(held["dateTime"])[:10]:
                return False
        elif utc_minute(parse_local(sent)) != utc_minute(parse_local(held)):
            return False
    return True


def changes(desired: dict[str, Any], pushed: dict[str, Any]) -> dict[str, Any]:
    """The fields of `desired` that differ from what was last pushed."""
    return {key: value for key, value in desired.items() if pushed.get(key) != value}

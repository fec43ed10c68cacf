"""The Google Calendar event a reservation should be, and Google's events read into what the
sync engine needs: Google's JSON on either side, as payloads.py and inbound/events.py are
Graph's (developers.google.com/workspace/calendar/api/v3/reference/events)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from bookings.models import Reservation
from syncconnections import payloads
from syncconnections.inbound.events import InboundEvent
from syncconnections.models import SyncConnection

# The ids Bookbridge gives its events (google.event_id): "bb" and a uuid's hex.
OUR_EVENT_ID = re.compile(r"^bb([0-9a-f]{32})$")


def event_times(start: dt.datetime, end: dt.datetime, time_zone: str) -> dict[str, Any]:
    """start and end as Google's EventDateTime: dates for an event from midnight to midnight
    of the location's zone (an all-day event), else the local time with its offset and the
    zone's IANA name, which Google takes as it is."""
    zone = ZoneInfo(time_zone)
    if payloads.is_all_day(start, end, time_zone):
        return {
            "start": {"date": start.astimezone(zone).date().isoformat()},
            "end": {"date": end.astimezone(zone).date().isoformat()},
        }
    return {
        "start": {"dateTime": start.astimezone(zone).isoformat(), "timeZone": time_zone},
        "end": {"dateTime": end.astimezone(zone).isoformat(), "timeZone": time_zone},
    }


def attendees(
    reservation: Reservation, connection: SyncConnection, connected: set[str]
) -> list[dict[str, Any]]:
    """As for Outlook (payloads.attendees): the staff member in a room's calendar, the room
    (a resource attendee) in a person's; never someone whose own calendar Bookbridge writes."""
    found: list[dict[str, Any]] = []
    staff = reservation.staff
    if connection.resource_id and staff and staff.email and staff.email not in connected:
        found.append({"email": staff.email, "displayName": str(staff)})
    mailbox = reservation.resource.mailbox_email
    if connection.staff_id and mailbox and mailbox not in connected:
        found.append({"email": mailbox, "displayName": reservation.resource.name, "resource": True})
    return found


def reservation_event(
    reservation: Reservation, connection: SyncConnection, connected: set[str]
) -> dict[str, Any]:
    resource = reservation.resource
    booking = reservation.series or reservation
    description = getattr(booking, "description", "")
    text = f"{description}\n\n" if description else ""
    return {
        "summary": reservation.title,
        "description": f"{text}Booked in Bookbridge: {payloads.link_to(reservation)}",
        **event_times(reservation.start, reservation.end, resource.location.time_zone),
        "location": f"{resource.name}, {resource.location.name}",
        "attendees": attendees(reservation, connection, connected),
        # Google's "tentative" is its tentatively confirmed event, as a concept or an option.
        "status": "tentative" if reservation.status in payloads.TENTATIVE else "confirmed",
        "transparency": "opaque",
    }


def moment(value: dict[str, Any], time_zone: str = "UTC") -> dt.datetime:
    """The instant of an EventDateTime; a date is its midnight in `time_zone`."""
    if "dateTime" in value:
        parsed = dt.datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
        if parsed.tzinfo is None:  # a local time: its zone is given beside it
            parsed = parsed.replace(tzinfo=ZoneInfo(value.get("timeZone") or time_zone))
        return parsed
    day = dt.date.fromisoformat(str(value["date"]))
    return dt.datetime.combine(day, dt.time(0), ZoneInfo(time_zone))


def times(data: dict[str, Any], time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    return moment(data["start"], time_zone), moment(data["end"], time_zone)


def holds(body: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Whether the event Google returned is the one asked for (an insert adopted on 409 is
    patched to it, so this is the patch's answer)."""
    if body.get("summary") != payload.get("summary"):
        return False
    try:
        return times(body, "UTC") == times(payload, "UTC")
    except (KeyError, TypeError, ValueError):
        return False


def in_the_way(event: dict[str, Any], start: dt.datetime, end: dt.datetime, zone: str) -> bool:
    """Whether a Google event holds the room during [start, end): a cancelled one, one shown as
    free (transparent) or one the room declined does not."""
    if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
        return False
    if any(a.get("self") and a.get("responseStatus") == "declined" for a in attendees_of(event)):
        return False
    try:
        begins, ends = times(event, zone)
    except (KeyError, TypeError, ValueError):
        return False
    return begins < end and ends > start


def attendees_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in event.get("attendees") or [] if isinstance(a, dict)]


def transaction_id(event_id: str) -> str:
    """The uuid our own event id was made from ("" for another's event): the reservation's
    (or its OutlookCreation's) as Graph's transactionId is."""
    match = OUR_EVENT_ID.match(event_id)
    return str(uuid.UUID(match.group(1))) if match else ""


def meeting_uid(data: dict[str, Any]) -> str:
    """What names one meeting in every calendar holding it: the iCalUID, and for an instance
    of a recurring event also its original start (Google gives all instances the series'
    iCalUID, as iCalendar names them by RECURRENCE-ID; Graph gives each its own)."""
    uid = str(data.get("iCalUID") or "")
    original = data.get("originalStartTime")
    if uid and isinstance(original, dict) and original:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            uid += "/" + moment(original).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return uid[:255]


class GoogleEvent(InboundEvent):
    """An event of a Google calendar as the engine reads one. Google lists a deleted event
    (showDeleted, or any incremental sync) with status "cancelled", often with its id alone:
    that is a removal (there is nothing more to ask Google, unlike Graph's @removed), as is
    an invitation the calendar declined."""

    __slots__ = ()

    def read(self, data: dict[str, Any]) -> None:
        self.data = data
        # Declined by this calendar's own attendee (the room, after "Keep ours"): Google keeps
        # the event there, but it holds nothing, as a deleted one does not.
        self.removed = data.get("status") == "cancelled" or any(
            a.get("self") and a.get("responseStatus") == "declined" for a in attendees_of(data)
        )
        self.cancelled = False
        self.subject = str(data.get("summary") or "")[:255]
        start, end = data.get("start"), data.get("end")
        self.start = moment(start) if isinstance(start, dict) and start else None
        self.end = moment(end) if isinstance(end, dict) and end else None
        self.all_day = isinstance(start, dict) and "date" in start and self.end is not None
        self.change_key = str(data.get("etag") or "")
        self.ical_uid = meeting_uid(data)
        self.series_master_id = str(data.get("recurringEventId") or "")
        self.transaction_id = transaction_id(self.id)
        self.organizer = str((data.get("organizer") or {}).get("email") or "").lower()
        self._attendees = [
            (str(a.get("email") or "").lower(), _kind(a)) for a in attendees_of(data)
        ]

    def localize(self, time_zone: str) -> None:
        """An all-day event's dates as days of the room's time zone."""
        if self.all_day:
            self.start, self.end = times(self.data, time_zone)


def _kind(attendee: dict[str, Any]) -> str:
    """Graph's attendee types, which the engine asks for."""
    if attendee.get("resource"):
        return "resource"
    return "optional" if attendee.get("optional") else "required"


def pushed_from(event: InboundEvent, time_zone: str) -> dict[str, Any]:
    """What the calendar now holds, in the payload's fields: what an inbound change made of
    the reservation, never pushed back."""
    assert event.start is not None and event.end is not None
    return {"summary": event.subject, **event_times(event.start, event.end, time_zone)}

"""Events of the Graph stand-in: single events, recurring series with their occurrences and
exceptions, expansion into a window (calendarView) and change tracking for delta queries."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC
MAX_EXPANDED = 1000  # occurrences of one series ever expanded (noEnd series stop here)
WINDOWS_ZONES = {
    "UTC": "UTC",
    "W. Europe Standard Time": "Europe/Amsterdam",
    "Romance Standard Time": "Europe/Paris",
    "GMT Standard Time": "Europe/London",
    "Pacific Standard Time": "America/Los_Angeles",
    "Eastern Standard Time": "America/New_York",
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class InvalidEvent(ValueError):
    """The event body breaks a rule Graph enforces; the message says which."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidEvent(f"Time zone '{name}' is not supported.") from None


def parse_graph_time(value: Any, field_name: str) -> dt.datetime:
    """A Graph dateTimeTimeZone ({"dateTime": ..., "timeZone": ...}) as an aware UTC time."""
    if not isinstance(value, dict) or "dateTime" not in value:
        raise InvalidEvent(f"'{field_name}' must be an object with dateTime and timeZone.")
    text = str(value["dateTime"]).rstrip("Z")
    if "." in text:  # Graph sends seven fractional digits
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6]}"
    try:
        naive = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEvent(f"'{field_name}.dateTime' is not a date and time: {text}") from None
    local = naive.replace(tzinfo=None).replace(tzinfo=zone(value.get("timeZone") or "UTC"))
    return local.astimezone(UTC)


def graph_time(moment: dt.datetime) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": "UTC",
    }


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    # Graph ids are long opaque base64 strings.
    return "AAMk" + base64.urlsafe_b64encode(secrets.token_bytes(36)).decode().rstrip("=")


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(12)).decode()


# Fields a client may set, as Graph names them.
WRITABLE = {
    "subject",
    "body",
    "start",
    "end",
    "location",
    "locations",
    "attendees",
    "organizer",
    "showAs",
    "sensitivity",
    "isAllDay",
    "categories",
    "importance",
    "isReminderOn",
    "responseRequested",
    "allowNewTimeProposals",
    "isOnlineMeeting",
    "recurrence",
    "transactionId",
}


@dataclass
class Override:
    """A changed (moved, renamed) occurrence of a series: Graph's "exception"."""

    id: str
    fields: dict[str, Any]
    start: dt.datetime
    end: dt.datetime
    change_key: str
    seq: int


@dataclass
class Event:
    id: str
    mailbox: str
    calendar_id: str
    fields: dict[str, Any]
    start: dt.datetime
    end: dt.datetime
    seq: int
    created: dt.datetime
    modified: dt.datetime
    ical_uid: str = field(
        default_factory=lambda: f"040000008200E00074C5B7101A82E008{uuid.uuid4().hex}"
    )
    change_key: str = field(default_factory=new_change_key)
    transaction_id: str | None = None
    deleted: bool = False
    overrides: dict[str, Override] = field(default_factory=dict)  # by occurrence key
    cancelled: dict[str, int] = field(default_factory=dict)  # occurrence key -> seq
    time_zone: str = "UTC"

    @property
    def is_series(self) -> bool:
        return bool(self.fields.get("recurrence"))

    # --- series ----------------------------------------------------------------------------

    def occurrence_starts(self) -> list[dt.datetime]:
        """Start of every occurrence the recurrence defines (cancelled ones included)."""
        recurrence = self.fields["recurrence"]
        pattern, span = recurrence.get("pattern", {}), recurrence.get("range", {})
        tz = zone(span.get("recurrenceTimeZone") or self.time_zone)
        local_start = self.start.astimezone(tz)
        first = dt.date.fromisoformat(span.get("startDate") or local_start.date().isoformat())
        last = dt.date.fromisoformat(span["endDate"]) if span.get("type") == "endDate" else None
        count = int(span.get("numberOfOccurrences") or 0) if span.get("type") == "numbered" else 0
        interval = max(1, int(pattern.get("interval") or 1))
        kind = pattern.get("type", "daily")
        days = {WEEKDAYS.index(d.lower()) for d in pattern.get("daysOfWeek") or []} or {
            local_start.weekday()
        }

        def matches(day: dt.date) -> bool:
            if kind == "daily":
                return (day - first).days % interval == 0
            if kind == "weekly":
                week_zero = first - dt.timedelta(days=first.weekday())
                weeks = (day - week_zero).days // 7
                return day.weekday() in days and weeks % interval == 0
            if kind == "absoluteMonthly":
                months = (day.year - first.year) * 12 + day.month - first.month
                return day.day == int(pattern.get("dayOfMonth") or first.day) and (
                    months % interval == 0
                )
            raise InvalidEvent(f"Recurrence pattern type '{kind}' is not supported.")

        starts: list[dt.datetime] = []
        day = first
        while len(starts) < (count or MAX_EXPANDED) and (last is None or day <= last):
            if matches(day):
                starts.append(
                    dt.datetime.combine(
                        day, local_start.timetz().replace(tzinfo=None), tz
                    ).astimezone(UTC)
                )
            day += dt.timedelta(days=1)
            if (day - first).days > 366 * 5:
                break
        return starts

    @staticmethod
    def occurrence_key(start: dt.datetime) -> str:
        return start.astimezone(UTC).strftime("%Y%m%d")

    def occurrence_id(self, key: str) -> str:
        return f"{self.id}.OCC.{key}"

    def instances(self) -> list[Instance]:
        """What a calendar view shows of this event (nothing for a deleted one)."""
        if self.deleted:
            return []
        if not self.is_series:
            return [Instance(self, None)]
        duration = self.end - self.start
        found = []
        for start in self.occurrence_starts():
            key = self.occurrence_key(start)
            if key in self.cancelled:
                continue
            override = self.overrides.get(key)
            if override:
                found.append(Instance(self, key, override.start, override.end, override))
            else:
                found.append(Instance(self, key, start, start + duration))
        return found


@dataclass
class Instance:
    """One entry of a calendar view: a single event, an occurrence or an exception."""

    event: Event
    key: str | None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    override: Override | None = None

    @property
    def id(self) -> str:
        return self.event.id if self.key is None else self.event.occurrence_id(self.key)

    @property
    def begins(self) -> dt.datetime:
        return self.start or self.event.start

    @property
    def ends(self) -> dt.datetime:
        return self.end or self.event.end

    @property
    def seq(self) -> int:
        return max(self.event.seq, self.override.seq if self.override else 0)

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.begins < end and self.ends > start

    def to_graph(self) -> dict[str, Any]:
        event = self.event
        fields = {**event.fields, **(self.override.fields if self.override else {})}
        change_key = self.override.change_key if self.override else event.change_key
        kind = (
            "singleInstance"
            if self.key is None
            else ("exception" if self.override else "occurrence")
        )
        data = {
            "@odata.etag": f'W/"{change_key}"',
            "id": self.id,
            "createdDateTime": iso(event.created),
            "lastModifiedDateTime": iso(event.modified),
            "changeKey": change_key,
            "iCalUId": event.ical_uid,
            "transactionId": event.transaction_id,
            "subject": fields.get("subject", ""),
            "body": fields.get("body", {"contentType": "text", "content": ""}),
            "start": graph_time(self.begins),
            "end": graph_time(self.ends),
            "location": fields.get("location", {"displayName": ""}),
            "attendees": fields.get("attendees", []),
            "organizer": fields.get("organizer", {}),
            "isCancelled": bool(fields.get("isCancelled", False)),
            "showAs": fields.get("showAs", "busy"),
            "type": kind,
            "seriesMasterId": event.id if self.key else None,
            "recurrence": None,
        }
        return data

    def removed(self) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.event",
            "id": self.id,
            "@removed": {"reason": "deleted"},
        }


def master_to_graph(event: Event) -> dict[str, Any]:
    """A series master (or single event) as GET /events/{id} returns it."""
    data = Instance(event, None).to_graph()
    if event.is_series:
        data["type"] = "seriesMaster"
        data["recurrence"] = event.fields["recurrence"]
    return data

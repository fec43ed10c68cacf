"""Events of the Graph stand-in: single events, recurring series with their occurrences and
exceptions, all-day events, expansion into a window (calendarView) and change tracking for
delta queries.

Times are kept as instants (UTC). An all-day event is a span of whole days of its own time
zone, and is shown, as Graph shows it, as midnights of the zone the caller asked in."""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import zones

UTC = dt.UTC
MAX_EXPANDED = 1000  # occurrences of one series ever expanded (noEnd series stop here)
INDEXES = {"first": 0, "second": 1, "third": 2, "fourth": 3}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# The class id Exchange's global object ids (iCalUId) start with.
GOID_CLASS = "040000008200E00074C5B7101A82E008"
FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=UTC)


class InvalidEvent(ValueError):
    """The event body breaks a rule Graph enforces; the message says which."""


UnsupportedTimeZone = zones.UnsupportedTimeZone


def month_length(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def zone(name: str) -> ZoneInfo:
    return zones.resolve(name or "UTC")


def parse_local(value: Any, field_name: str) -> tuple[dt.datetime, str]:
    """A Graph dateTimeTimeZone as (naive local time, zone name)."""
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
    name = value.get("timeZone") or "UTC"
    zone(name)  # refuse a name outside Graph's vocabulary
    return naive.replace(tzinfo=None), name


def parse_graph_time(value: Any, field_name: str) -> dt.datetime:
    """A Graph dateTimeTimeZone as an aware UTC time."""
    naive, name = parse_local(value, field_name)
    return naive.replace(tzinfo=zone(name)).astimezone(UTC)


def check_all_day(fields: dict[str, Any]) -> None:
    """event.md: an all-day event's start and end are midnights, in the same time zone."""
    start, start_zone = parse_local(fields["start"], "start")
    end, end_zone = parse_local(fields["end"], "end")
    if start.time() != dt.time(0) or end.time() != dt.time(0) or start_zone != end_zone:
        raise InvalidEvent(
            "The start and end of an all-day event must be set to midnight, in the same time zone."
        )
    if end <= start:
        raise InvalidEvent("An all-day event lasts at least one day.")


def graph_time(moment: dt.datetime, zone_name: str = "UTC") -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(zone(zone_name)).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": zone_name,
    }


def midnight(moment: dt.datetime, own_zone: str, zone_name: str) -> dict[str, str]:
    """An all-day boundary: the event's own date, at midnight of the zone asked in."""
    day = moment.astimezone(zone(own_zone)).date()
    return {"dateTime": f"{day.isoformat()}T00:00:00.0000000", "timeZone": zone_name}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    # Graph ids are long opaque base64 strings.
    return "AAMk" + base64.urlsafe_b64encode(secrets.token_bytes(36)).decode().rstrip("=")


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(12)).decode()


def new_ical_uid() -> str:
    """An Exchange global object id: class id, instance date (zero for a single event or a
    series), creation time, and a unique part. The same in every calendar holding the
    meeting."""
    filetime = int((time.time() - FILETIME_EPOCH.timestamp()) * 10_000_000)
    return f"{GOID_CLASS}00000000{filetime:016X}{'0' * 16}10000000{uuid.uuid4().hex.upper()}"


def occurrence_ical_uid(series_uid: str, original_start: dt.date) -> str:
    """event.md: the iCalUId "is different for each occurrence in a recurring series": its
    instance date is the occurrence's original date."""
    instance = f"{original_start.year:04X}{original_start.month:02X}{original_start.day:02X}"
    return f"{series_uid[:32]}{instance}{series_uid[40:]}"


# scheduleItem.status (freeBusyStatus), as event.showAs names them; the first two leave
# the time free (outlook-get-free-busy-schedule.md: "0 = free or working elsewhere").
FREE_BUSY_STATUSES = ("free", "workingElsewhere", "tentative", "busy", "oof", "unknown")
FREE_STATUSES = frozenset({"free", "workingElsewhere"})

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
    ical_uid: str = field(default_factory=new_ical_uid)
    change_key: str = field(default_factory=new_change_key)
    transaction_id: str | None = None
    deleted: bool = False
    overrides: dict[str, Override] = field(default_factory=dict)  # by occurrence key
    cancelled: dict[str, int] = field(default_factory=dict)  # occurrence key -> seq
    time_zone: str = "UTC"
    # A meeting has a copy in each invited mailbox of the tenant: the organizer's event
    # knows its copies (mailbox -> event id), each copy knows the event it copies.
    copies: dict[str, str] = field(default_factory=dict)
    copy_of: tuple[str, str] | None = None
    # Occurrences a change of the recurrence took away (occurrence key -> seq): delta lists
    # them as removed. (Read with getattr: a state saved before this field lacks it.)
    vanished: dict[str, int] = field(default_factory=dict)

    def keys(self) -> set[str]:
        """The occurrence keys the calendar shows now."""
        return {i.key for i in self.instances() if i.key}

    def vanish(self, before: set[str], seq: int) -> None:
        """Occurrences shown before a change and not after are gone from the calendar."""
        gone = getattr(self, "vanished", {})
        for key in before - self.keys():
            gone[key] = seq
        self.vanished = gone

    @property
    def is_series(self) -> bool:
        return bool(self.fields.get("recurrence"))

    @property
    def all_day(self) -> bool:
        return bool(self.fields.get("isAllDay"))

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
            months = (day.year - first.year) * 12 + day.month - first.month
            if kind == "absoluteMonthly":
                return on_day_of_month(day) and months % interval == 0
            if kind == "relativeMonthly":
                return months % interval == 0 and nth_weekday(day)
            in_month = day.month == int(pattern.get("month") or first.month)
            years = day.year - first.year
            if kind == "absoluteYearly":
                return in_month and on_day_of_month(day) and years % interval == 0
            if kind == "relativeYearly":
                return in_month and years % interval == 0 and nth_weekday(day)
            raise InvalidEvent(f"Recurrence pattern type '{kind}' is not supported.")

        def nth_weekday(day: dt.date) -> bool:
            # recurrencepattern.md: `index` (first…fourth, last) picks "the instance of the
            # allowed days specified in daysOfWeek", counted within the month.
            if day.weekday() not in days:
                return False
            allowed = [
                d
                for d in (day.replace(day=n) for n in range(1, month_length(day) + 1))
                if d.weekday() in days
            ]
            index = str(pattern.get("index") or "first").lower()
            at = -1 if index == "last" else INDEXES.get(index, 0)
            return at < len(allowed) and allowed[at] == day

        def on_day_of_month(day: dt.date) -> bool:
            # A day the month lacks (the 31st) falls on its last day, as Outlook does.
            wanted = int(pattern.get("dayOfMonth") or first.day)
            return day.day == min(wanted, month_length(day))

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
            if (day - first).days > 366 * (30 if kind.endswith("Yearly") else 5):
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
                found.append(Instance(self, key, override.start, override.end, override, start))
            else:
                found.append(Instance(self, key, start, start + duration, None, start))
        return found


@dataclass
class Instance:
    """One entry of a calendar view: a single event, an occurrence or an exception."""

    event: Event
    key: str | None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    override: Override | None = None
    original_start: dt.datetime | None = None

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

    @property
    def ical_uid(self) -> str:
        if self.original_start is None:
            return self.event.ical_uid
        own_zone = zone(self.event.time_zone)
        return occurrence_ical_uid(self.event.ical_uid, self.original_start.astimezone(own_zone))

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.begins < end and self.ends > start

    @property
    def fields(self) -> dict[str, Any]:
        """The event's fields as this instance shows them (an exception's own on top)."""
        return {**self.event.fields, **(self.override.fields if self.override else {})}

    @property
    def free_busy(self) -> str:
        """scheduleitem.md's status, from showAs: free, tentative, busy, oof,
        workingElsewhere or unknown."""
        shown = str(self.fields.get("showAs") or "busy")
        return shown if shown in FREE_BUSY_STATUSES else "unknown"

    @property
    def makes_busy(self) -> bool:
        """Whether it holds its time: not cancelled, and not shown as free (or working
        elsewhere, which free/busy counts as free)."""
        return not self.fields.get("isCancelled") and self.free_busy not in FREE_STATUSES

    def to_graph(self, zone_name: str = "UTC") -> dict[str, Any]:
        """The event as Graph shows it, its times in `zone_name` (Prefer: outlook.timezone;
        UTC without it)."""
        event = self.event
        fields = {**event.fields, **(self.override.fields if self.override else {})}
        change_key = self.override.change_key if self.override else event.change_key
        kind = (
            "singleInstance"
            if self.key is None
            else ("exception" if self.override else "occurrence")
        )
        if event.all_day:
            start = midnight(self.begins, event.time_zone, zone_name)
            end = midnight(self.ends, event.time_zone, zone_name)
        else:
            start, end = graph_time(self.begins, zone_name), graph_time(self.ends, zone_name)
        organizer = fields.get("organizer", {})
        own = (organizer.get("emailAddress") or {}).get("address", "").lower() == event.mailbox
        return {
            "@odata.etag": f'W/"{change_key}"',
            "id": self.id,
            "createdDateTime": iso(event.created),
            "lastModifiedDateTime": iso(event.modified),
            "changeKey": change_key,
            # Only the app that set it sees it, and only on the event it created.
            "transactionId": event.transaction_id,
            "originalStartTimeZone": event.time_zone,
            "originalEndTimeZone": event.time_zone,
            "iCalUId": self.ical_uid,
            "subject": fields.get("subject", ""),
            "body": fields.get("body", {"contentType": "text", "content": ""}),
            "start": start,
            "end": end,
            "isAllDay": event.all_day,
            "location": fields.get("location", {"displayName": ""}),
            "attendees": fields.get("attendees", []),
            "organizer": organizer,
            "isOrganizer": own,
            "isCancelled": bool(fields.get("isCancelled", False)),
            "showAs": fields.get("showAs", "busy"),
            "type": kind,
            "seriesMasterId": event.id if self.key else None,
            "recurrence": None,
        }

    def removed(self) -> dict[str, Any]:
        return removed_entry(self.id)


def removed_entry(event_id: str) -> dict[str, Any]:
    """What delta lists for an event that left the view (deleted, or outside the window)."""
    return {
        "@odata.type": "#microsoft.graph.event",
        "id": event_id,
        "@removed": {"reason": "deleted"},
    }


def master_to_graph(event: Event, zone_name: str = "UTC") -> dict[str, Any]:
    """A series master (or single event) as GET /events/{id} returns it."""
    data = Instance(event, None).to_graph(zone_name)
    if event.is_series:
        data["type"] = "seriesMaster"
        data["recurrence"] = event.fields["recurrence"]
    return data

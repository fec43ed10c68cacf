"""The planner: one location's resources by hour for a day, and, on request, what the rooms'
Outlook calendars hold for that day (read live, one Graph `$batch` per tenant), with the
differences between the two marked.

Everything here is plain data and functions; the admin page (admin/planner.py) only parses
the request and renders a `Planner`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from bookings.models import Location, Reservation, ReservationStatus, Resource
from common.http_client import TransportError
from syncconnections import google_events, payloads, room_conflicts
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.graph import GraphClient
from syncconnections.models import OutlookConflict, OutlookEvent, SyncConnection, Tenant

# Shown even on a quiet day so that days look alike; bookings outside it widen the grid.
WORKING_HOURS = (7, 22)
DAY_MINUTES = 24 * 60

OUTLOOK = "outlook"
MISSING_IN_OUTLOOK = "missing in Outlook"
CANCELLED_IN_OUTLOOK = "cancelled in Outlook"
NOT_IN_BOOKBRIDGE = "not in Bookbridge"
CANCELLED_IN_BOOKBRIDGE = "cancelled in Bookbridge"
NOT_CONNECTED = "not connected"

ClientFactory = Callable[[Tenant], GraphClient]


# --- what is shown ----------------------------------------------------------------------------


@dataclass
class Block:
    """A reservation or an Outlook event on a room's track."""

    title: str
    start: dt.datetime  # in the location's time zone
    end: dt.datetime
    kind: str  # the reservation's status, or OUTLOOK
    times: str = ""
    url: str = ""
    cancelled: bool = False
    difference: str = ""
    reservation_id: int | None = None
    event_id: str = ""
    hours: tuple[int, ...] = ()  # the hour columns it covers
    left: float = 0.0  # place on the track, in percent of its width
    width: float = 0.0
    lane: int = 0  # overlapping blocks stack in lanes
    overlaps: list[str] = field(default_factory=list)  # titles of live blocks at the same time
    conflict: str = ""  # an Outlook meeting in this reservation's way, waiting for a decision
    conflict_url: str = ""

    @property
    def css(self) -> str:
        classes = [f"bb-{self.kind}"]
        if self.cancelled and self.kind != ReservationStatus.CANCELLED:
            classes.append("bb-cancelled")
        if self.difference:
            classes.append("bb-difference")
        if self.overlaps:
            classes.append("bb-overlap")
        if self.conflict:
            classes.append("bb-conflict")
        return " ".join(classes)

    @property
    def live(self) -> bool:
        return not self.cancelled and self.kind != ReservationStatus.CANCELLED


@dataclass
class Track:
    blocks: list[Block] = field(default_factory=list)
    message: str = ""  # "not connected", or why the calendar could not be read
    failed: bool = False

    @property
    def lanes(self) -> int:
        return max((b.lane for b in self.blocks), default=0) + 1


@dataclass
class Row:
    resource: Resource
    connections: list[SyncConnection]
    bookbridge: Track
    outlook: Track | None = None  # only in the Office 365 view

    @property
    def connected(self) -> bool:
        return bool(self.connections)


@dataclass
class Planner:
    location: Location
    day: dt.date
    with_outlook: bool
    rows: list[Row]
    first_hour: int = WORKING_HOURS[0]
    last_hour: int = WORKING_HOURS[1]  # the end of the last column

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_hour, self.last_hour))

    @property
    def agenda(self) -> list[tuple[Resource, Block]]:
        """Every Bookbridge block of the day by room and time: the side list, where a
        meeting too short for its title on the grid is read in full."""
        return [
            (row.resource, block)
            for row in self.rows
            for block in sorted(row.bookbridge.blocks, key=lambda b: (b.start, b.end))
        ]

    @property
    def differences(self) -> list[tuple[Resource, Block]]:
        return [
            (row.resource, block)
            for row in self.rows
            for track in (row.bookbridge, row.outlook)
            if track
            for block in track.blocks
            if block.difference
        ]


# --- Outlook ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutlookItem:
    """One event or occurrence of a calendar view."""

    id: str
    subject: str
    start: dt.datetime
    end: dt.datetime
    transaction_id: str = ""
    cancelled: bool = False

    @classmethod
    def from_google(cls, event: dict[str, Any], time_zone: str = "UTC") -> OutlookItem:
        """An event or instance as Google lists it (singleEvents); an all-day one spans days
        of `time_zone`. Our own carry the uuid they were made for in their id."""
        start, end = google_events.times(event, time_zone)
        return cls(
            id=event["id"],
            subject=event.get("summary") or "",
            start=start,
            end=end,
            transaction_id=google_events.transaction_id(str(event["id"])),
            cancelled=event.get("status") == "cancelled",
        )

    @classmethod
    def from_graph(cls, event: dict[str, Any], time_zone: str = "UTC") -> OutlookItem:
        """An event as a calendar view lists it; an all-day one spans days of `time_zone`."""
        start, end = payloads.times_from_graph(event, time_zone)
        return cls(
            id=event["id"],
            subject=event.get("subject") or "",
            start=start,
            end=end,
            transaction_id=event.get("transactionId") or "",
            cancelled=bool(event.get("isCancelled")),
        )


@dataclass
class CalendarRead:
    items: list[OutlookItem] = field(default_factory=list)
    error: str = ""


def fetch_calendars(
    connections: Iterable[SyncConnection],
    start: dt.datetime,
    end: dt.datetime,
    client_for: ClientFactory = GraphClient.for_tenant,
    time_zone: str = "UTC",
) -> dict[int, CalendarRead]:
    """Each connection's calendar view from start to end, by connection id: one `$batch`
    (of at most twenty requests) per tenant, each page after the first followed on its own.
    A failure is kept as the read's error and never raised. All-day events span days of
    `time_zone`."""
    by_tenant: dict[int, list[SyncConnection]] = defaultdict(list)
    for connection in connections:
        by_tenant[connection.tenant_id].append(connection)
    reads: dict[int, CalendarRead] = {}
    for group in by_tenant.values():
        fetch = _fetch_google if group[0].tenant.is_google else _fetch_tenant
        reads.update(fetch(group, start, end, client_for, time_zone))
    return reads


def _fetch_google(
    connections: list[SyncConnection],
    start: dt.datetime,
    end: dt.datetime,
    client_for: ClientFactory,
    time_zone: str,
) -> dict[int, CalendarRead]:
    """A Google tenant's calendars, all in its batches (`client_for` is Graph's)."""
    try:
        client = GoogleClient.for_tenant(connections[0].tenant)
        views = client.events_in([(c.calendar_id or c.user_id, start, end) for c in connections])
    except (TransportError, ValueError) as exc:
        error = f"The calendar could not be read from Google: {exc}"
        return {c.pk: CalendarRead(error=error) for c in connections}
    reads = {}
    for connection, view in zip(connections, views, strict=True):
        if isinstance(view, GoogleError):
            reads[connection.pk] = CalendarRead(
                error=f"The calendar could not be read from Google: {view}"
            )
            continue
        try:
            reads[connection.pk] = CalendarRead(
                [OutlookItem.from_google(e, time_zone) for e in view]
            )
        except (KeyError, TypeError, ValueError) as exc:
            reads[connection.pk] = CalendarRead(
                error=f"Google sent an event that could not be read ({exc!r})."
            )
    return reads


def _fetch_tenant(
    connections: list[SyncConnection],
    start: dt.datetime,
    end: dt.datetime,
    client_for: ClientFactory,
    time_zone: str,
) -> dict[int, CalendarRead]:
    try:
        client = client_for(connections[0].tenant)
        results = client.batch(
            [
                client.calendar_view_request(
                    str(c.pk), c.user_id, start, end, c.calendar_id or None
                )
                for c in connections
            ]
        )
    except TransportError as exc:
        return {c.pk: CalendarRead(error=_could_not_read(exc)) for c in connections}
    reads = {}
    for connection, result in zip(connections, results, strict=True):
        if result.error is not None:
            reads[connection.pk] = CalendarRead(error=_could_not_read(result.error))
            continue
        try:
            events = client.all_pages(first=result.body or {})
            reads[connection.pk] = CalendarRead(
                [OutlookItem.from_graph(e, time_zone) for e in events]
            )
        except TransportError as exc:
            reads[connection.pk] = CalendarRead(error=_could_not_read(exc))
        except (KeyError, TypeError, ValueError) as exc:
            reads[connection.pk] = CalendarRead(
                error=f"Microsoft 365 sent an event that could not be read ({exc!r})."
            )
    return reads


def _could_not_read(error: TransportError) -> str:
    return f"The calendar could not be read from Microsoft 365: {error}"


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Differences:
    reservations: dict[int, str]  # reservation id → difference
    events: dict[str, str]  # Outlook event id → difference


def compare(
    reservations: Iterable[Reservation],
    items: Iterable[OutlookItem],
    linked: dict[int, set[str]],
) -> Differences:
    """What one room's reservations and its Outlook events disagree on.

    A reservation and an event belong together when the reservation's Outlook link names
    the event (`linked`: reservation id → event ids) or the event's transactionId is the
    reservation's UUID. Where both sides say "not happening" (a cancelled reservation, an
    event cancelled in Outlook or absent) there is nothing to flag."""
    items = list(items)
    by_id = {i.id: i for i in items}
    by_transaction: dict[str, list[OutlookItem]] = defaultdict(list)
    for item in items:
        if item.transaction_id:
            by_transaction[item.transaction_id].append(item)  # in each calendar it went to
    owners: dict[str, list[Reservation]] = defaultdict(list)
    reservation_differences = {}
    for reservation in reservations:
        matched = {by_id[e] for e in linked.get(reservation.pk, ()) if e in by_id}
        matched.update(by_transaction.get(str(reservation.uuid), ()))
        for item in matched:
            owners[item.id].append(reservation)
        if reservation.status == ReservationStatus.CANCELLED:
            continue
        if not matched:
            reservation_differences[reservation.pk] = MISSING_IN_OUTLOOK
        elif all(i.cancelled for i in matched):
            reservation_differences[reservation.pk] = CANCELLED_IN_OUTLOOK
    event_differences = {}
    for item in items:
        if item.cancelled:
            continue
        if not owners[item.id]:
            event_differences[item.id] = NOT_IN_BOOKBRIDGE
        elif all(r.status == ReservationStatus.CANCELLED for r in owners[item.id]):
            event_differences[item.id] = CANCELLED_IN_BOOKBRIDGE
    return Differences(reservation_differences, event_differences)


# --- building the page ------------------------------------------------------------------------


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def today_at(location: Location, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(location.time_zone)).date()


def build_planner(
    location: Location,
    day: dt.date,
    *,
    with_outlook: bool = False,
    client_for: ClientFactory = GraphClient.for_tenant,
) -> Planner:
    """The planner of a location for a day. With `with_outlook`, each connected room also
    gets a track of its Outlook calendar, and the differences are marked on both."""
    zone = ZoneInfo(location.time_zone)
    start, end = day_bounds(day, zone)
    reservations = list(
        Reservation.objects.filter(resource__location=location, start__lt=end, end__gt=start)
        .only("uuid", "resource_id", "title", "start", "end", "status")
        .order_by("start", "end", "pk")
    )
    booked: dict[int, list[Reservation]] = defaultdict(list)
    for reservation in reservations:
        booked[reservation.resource_id].append(reservation)
    connections: dict[int, list[SyncConnection]] = defaultdict(list)
    for connection in (
        SyncConnection.objects.filter(resource__location=location, active=True, valid=True)
        .select_related("tenant")
        .defer("subscription_client_state")
        .order_by("pk")
    ):
        connections[connection.resource_id].append(connection)
    rows = [
        Row(
            resource,
            connections[resource.pk],
            Track([_reservation_block(r, zone, day) for r in booked[resource.pk]]),
        )
        for resource in location.resources.order_by("name")
        if resource.is_active or booked[resource.pk]
    ]
    _mark_conflicts(rows)
    if with_outlook:
        _add_outlook(rows, booked, location, (start, end), zone, day, client_for)
    return _laid_out(Planner(location, day, with_outlook, rows))


def _mark_conflicts(rows: list[Row]) -> None:
    """Reservations held back by an Outlook meeting in their way (one query for the day)."""
    blocks = {b.reservation_id: b for row in rows for b in row.bookbridge.blocks}
    if not blocks:
        return
    for conflict in (
        OutlookConflict.objects.open()
        .filter(reservation_id__in=list(blocks))
        .select_related("reservation__resource__location", "sync_connection__tenant")
        .order_by("pk")
    ):
        block = blocks[conflict.reservation_id]
        if not block.conflict:
            block.conflict = room_conflicts.describe(conflict)
            block.conflict_url = reverse(
                "admin:syncconnections_outlookconflict_change", args=[conflict.pk]
            )


def _add_outlook(
    rows: list[Row],
    booked: dict[int, list[Reservation]],
    location: Location,
    window: tuple[dt.datetime, dt.datetime],
    zone: ZoneInfo,
    day: dt.date,
    client_for: ClientFactory,
) -> None:
    reads = fetch_calendars(
        [c for row in rows for c in row.connections], *window, client_for, location.time_zone
    )
    linked: dict[int, set[str]] = defaultdict(set)
    for reservation_id, event_id in OutlookEvent.objects.filter(
        reservation__resource__location=location,
        reservation__start__lt=window[1],
        reservation__end__gt=window[0],
    ).values_list("reservation_id", "event_id"):
        linked[reservation_id].add(event_id)
    for row in rows:
        if not row.connected:
            row.outlook = Track(message=NOT_CONNECTED)
            continue
        calendars = [reads[c.pk] for c in row.connections]
        items = [i for read in calendars for i in read.items]
        errors = [read.error for read in calendars if read.error]
        differences = compare(booked[row.resource.pk], items, linked)
        if not errors:  # with a calendar unread, what is missing from it is unknown
            for block in row.bookbridge.blocks:
                block.difference = differences.reservations.get(block.reservation_id, "")
        row.outlook = Track(
            [_outlook_block(i, zone, day, differences.events.get(i.id, "")) for i in items],
            message=" ".join(errors),
            failed=bool(errors),
        )


def _reservation_block(reservation: Reservation, zone: ZoneInfo, day: dt.date) -> Block:
    start, end = reservation.start.astimezone(zone), reservation.end.astimezone(zone)
    return Block(
        title=reservation.title,
        start=start,
        end=end,
        kind=reservation.status,
        times=_times(start, end, day),
        url=reservation.get_absolute_url(),
        cancelled=reservation.status == ReservationStatus.CANCELLED,
        reservation_id=reservation.pk,
    )


def _outlook_block(item: OutlookItem, zone: ZoneInfo, day: dt.date, difference: str) -> Block:
    start, end = item.start.astimezone(zone), item.end.astimezone(zone)
    return Block(
        title=item.subject or "(no subject)",
        start=start,
        end=end,
        kind=OUTLOOK,
        times=_times(start, end, day),
        cancelled=item.cancelled,
        difference=difference,
        event_id=item.id,
    )


def _times(start: dt.datetime, end: dt.datetime, day: dt.date) -> str:
    def label(moment: dt.datetime) -> str:
        return f"{moment:%H:%M}" if moment.date() == day else f"{moment:%d %b %H:%M}"

    return f"{label(start)}–{label(end)}"


# --- layout -----------------------------------------------------------------------------------


def _minute_of_day(moment: dt.datetime, day: dt.date) -> int:
    """Wall-clock minutes since the day's midnight, clipped to the day (so a DST day still
    has its columns at the hours on the clock)."""
    if moment.date() < day:
        return 0
    if moment.date() > day:
        return DAY_MINUTES
    return moment.hour * 60 + moment.minute


def _laid_out(planner: Planner) -> Planner:
    tracks = [t for row in planner.rows for t in (row.bookbridge, row.outlook) if t]
    spans = [
        (_minute_of_day(b.start, planner.day), _minute_of_day(b.end, planner.day))
        for t in tracks
        for b in t.blocks
    ]
    planner.first_hour = min([WORKING_HOURS[0], *(s // 60 for s, _ in spans)])
    planner.last_hour = max([WORKING_HOURS[1], *(math.ceil(e / 60) for _, e in spans)])
    first, length = planner.first_hour * 60, (planner.last_hour - planner.first_hour) * 60
    for track in tracks:
        lane_ends: list[int] = []
        for block in sorted(track.blocks, key=lambda b: (b.start, b.end)):
            begins = _minute_of_day(block.start, planner.day)
            ends = max(_minute_of_day(block.end, planner.day), begins + 1)
            block.hours = tuple(range(begins // 60, math.ceil(ends / 60)))
            block.left = round((begins - first) / length * 100, 3)
            block.width = round((ends - begins) / length * 100, 3)
            block.lane = next((i for i, e in enumerate(lane_ends) if e <= begins), len(lane_ends))
            if block.lane == len(lane_ends):
                lane_ends.append(ends)
            else:
                lane_ends[block.lane] = ends
        _mark_overlaps(track)
    return planner


def _mark_overlaps(track: Track) -> None:
    """Live blocks of one room at the same time: a double booking, marked on both."""
    live = [b for b in track.blocks if b.live]
    for i, block in enumerate(live):
        for other in live[i + 1 :]:
            if block.start < other.end and other.start < block.end:
                block.overlaps.append(other.title)
                other.overlaps.append(block.title)

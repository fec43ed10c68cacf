"""Find a free room: which of a location's rooms are free from start to end, and what is in
the way of the others (docs/back-office.md, docs/api.md).

Busy in Bookbridge: the rooms' reservations in a status that holds the room, read in one
query for all of them. Busy in Outlook: the free/busy of each room whose calendar is
connected (active and valid), read with getSchedule, twenty rooms a call, the calls made at
once (at most MAX_CONCURRENT_CALLS). What Outlook shows at a time Bookbridge already counts
for that room is not said twice: it is Bookbridge's own event, or a clash already named.
A failed call leaves its rooms unchecked in Outlook, never claimed free.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bookings.models import OCCUPYING_STATUSES, Location, Reservation, Resource
from bookings.overlaps import occupied_message, times_text
from syncconnections import providers
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.graph import (
    SCHEDULE_PERIOD_LIMIT,
    SCHEDULES_PER_CALL,
    GraphClient,
    GraphError,
    parse_datetime,
)
from syncconnections.models import SyncConnection, Tenant

MAX_CONCURRENT_CALLS = 10
ASKERS = 3  # rooms of a call tried in turn as the mailbox that asks
# scheduleItem statuses that leave the time free ("0 = free or working elsewhere").
FREE_STATUSES = {"free", "workingElsewhere"}
Mailbox = tuple[int, str]  # (tenant id, address): whose free/busy a getSchedule call reads
Answer = dict[str, Any] | str  # its scheduleInformation, or why there is none


class WindowError(ValueError):
    """The asked window cannot be looked up; the message says why, for a person."""


# What the results say of a room's Outlook calendar.
CHECKED = "checked"
NOT_CONNECTED = "not connected"
UNAVAILABLE = "unavailable"


@dataclass
class RoomAvailability:
    resource: Resource
    free: bool
    reasons: list[str] = field(default_factory=list)
    outlook: str = NOT_CONNECTED  # CHECKED, NOT_CONNECTED or UNAVAILABLE
    free_in_bookbridge: bool = True

    @property
    def summary(self) -> str:
        if self.free:
            return "Free"
        if self.free_in_bookbridge and self.outlook == UNAVAILABLE:
            return "Free in Bookbridge; Outlook not checked"
        return "Busy"


@dataclass
class _Span:
    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: _Span) -> bool:
        return self.start < other.end and self.end > other.start


def check_window(start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise WindowError("The end must be after the start.")
    if end - start >= SCHEDULE_PERIOD_LIMIT:
        raise WindowError(
            f"Look at less than {SCHEDULE_PERIOD_LIMIT.days} days at a time: Outlook's "
            "free/busy (getSchedule) answers no longer period."
        )


def free_rooms(
    location: Location, start: dt.datetime, end: dt.datetime, capacity: int | None = None
) -> list[RoomAvailability]:
    """Every active room of the location seating at least `capacity` (any room when no
    capacity is asked), by name: free or not, and why not. Four queries in all: rooms,
    reservations, connections, tenants."""
    check_window(start, end)
    rooms = _rooms(location, capacity)
    local = _booked(rooms, start, end)
    results = {
        pk: RoomAvailability(
            room,
            free=pk not in local,
            reasons=[text for _, text in local.get(pk, [])],
            free_in_bookbridge=pk not in local,
        )
        for pk, room in rooms.items()
    }
    for pk, (outlook, reasons) in _outlook(rooms, start, end, local).items():
        result = results[pk]
        result.outlook = outlook
        result.reasons += reasons
        result.free = not result.reasons
    return list(results.values())


def _rooms(location: Location, capacity: int | None) -> dict[int, Resource]:
    rooms = (
        Resource.objects.filter(location=location, is_active=True)
        .select_related("location")
        .only("name", "capacity", "mailbox_email", "location__name", "location__time_zone")
    )
    if capacity is not None:
        rooms = rooms.filter(capacity__gte=capacity)
    return {room.pk: room for room in rooms.order_by("name", "pk")}


def _booked(
    rooms: dict[int, Resource], start: dt.datetime, end: dt.datetime
) -> dict[int, list[tuple[_Span, str]]]:
    """The reservations holding each room at some time from start to end: one query."""
    found: dict[int, list[tuple[_Span, str]]] = defaultdict(list)
    reservations = (
        Reservation.objects.filter(
            resource_id__in=rooms.keys(),
            status__in=OCCUPYING_STATUSES,
            start__lt=end,
            end__gt=start,
        )
        .only("pk", "title", "start", "end", "resource_id")
        .order_by("start", "pk")
    )
    for reservation in reservations:
        reservation.resource = rooms[reservation.resource_id]  # its location, no query
        span = _Span(reservation.start, reservation.end)
        found[reservation.resource_id].append((span, occupied_message(reservation)))
    return found


def _outlook(
    rooms: dict[int, Resource],
    start: dt.datetime,
    end: dt.datetime,
    local: dict[int, list[tuple[_Span, str]]],
) -> dict[int, tuple[str, list[str]]]:
    """(CHECKED or UNAVAILABLE, reasons) of each room with a connected calendar."""
    mailboxes = _connected_mailboxes(rooms)
    answers = _schedules(mailboxes, start, end)
    found: dict[int, tuple[str, list[str]]] = {}
    for mailbox, pks in mailboxes.items():
        answer = answers[mailbox]
        for pk in pks:
            room = rooms[pk]
            if isinstance(answer, str):
                found[pk] = (UNAVAILABLE, [f"Outlook free/busy unavailable: {answer}"])
                continue
            booked = [span for span, _ in local.get(pk, [])]
            found[pk] = (CHECKED, _outlook_reasons(room, answer, start, end, booked))
    return found


def _connected_mailboxes(rooms: dict[int, Resource]) -> dict[Mailbox, list[int]]:
    """The rooms by (tenant id, mailbox) whose calendars are connected: one query, of plain
    values (no connection's encrypted fields read). Free/busy is the mailbox's, whichever of
    its calendars a connection names."""
    found: dict[Mailbox, list[int]] = defaultdict(list)
    connections = (
        SyncConnection.objects.in_use()
        .filter(resource_id__in=rooms.keys())
        .order_by("pk")
        .values_list("tenant_id", "user_id", "resource_id")
    )
    for tenant_id, user_id, resource_id in connections:
        pks = found[(tenant_id, user_id.lower())]
        if resource_id not in pks:
            pks.append(resource_id)
    return found


def _schedules(
    mailboxes: dict[Mailbox, list[int]], start: dt.datetime, end: dt.datetime
) -> dict[Mailbox, Answer]:
    """Each address's scheduleInformation, or the message of why there is none. Twenty
    addresses a call, every call of every tenant at once (the pool bounds them); each call
    asks as its first room, so that no mailbox's concurrency limit holds them back."""
    by_tenant: dict[int, list[str]] = defaultdict(list)
    for tenant_id, address in mailboxes:
        by_tenant[tenant_id].append(address)
    if not by_tenant:
        return {}
    chunks = []
    answers: dict[Mailbox, Answer] = {}
    for tenant in Tenant.objects.filter(pk__in=by_tenant.keys()):  # the fourth query
        addresses = by_tenant[tenant.pk]
        try:  # reads the secret here, not in a thread
            client: GraphClient | GoogleClient = (
                GoogleClient.for_tenant(tenant)
                if tenant.is_google
                else GraphClient.for_tenant(tenant)
            )
        except ValueError as exc:  # a Google tenant's key file is none
            answers.update({(tenant.pk, a): str(exc) for a in addresses})
            continue
        for first in range(0, len(addresses), SCHEDULES_PER_CALL):
            chunks.append((tenant.pk, client, addresses[first : first + SCHEDULES_PER_CALL]))
    calls = [
        _pool().submit(
            _google_schedule if isinstance(client, GoogleClient) else _schedule,
            client,
            chunk,
            start,
            end,
        )
        for _, client, chunk in chunks
    ]
    for (tenant_id, _, _), call in zip(chunks, calls, strict=True):
        answers.update({(tenant_id, a): answer for a, answer in call.result().items()})
    return answers


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The process's threads for getSchedule calls, made on first use and kept: starting
    ten threads for each search cost more than the searches' own work. Shared by every
    search of the process, so it also bounds the calls they make at once together."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(MAX_CONCURRENT_CALLS, thread_name_prefix="free-busy")
        return _executor


def _schedule(
    client: GraphClient, addresses: list[str], start: dt.datetime, end: dt.datetime
) -> dict[str, Answer]:
    """One getSchedule call (no database here: it runs in a worker thread). A room gone from
    Microsoft 365 cannot ask (404): the next one asks instead, at most ASKERS in all."""
    minutes = int((end - start).total_seconds() // 60)
    askers = addresses[:ASKERS]
    for asker in askers:
        try:
            value = client.get_schedule(
                asker, addresses, start, end, interval=min(1440, max(5, minutes))
            )
            break
        except GraphError as exc:
            if exc.status == 404 and asker != askers[-1]:
                continue
            return dict.fromkeys(addresses, exc.message or f"HTTP {exc.status}")
    by_address = {str(info.get("scheduleId", "")).lower(): info for info in value}
    answers: dict[str, Answer] = {}
    for address in addresses:
        info = by_address.get(address)
        if info is None:
            answers[address] = "Outlook did not answer for this room."
        elif info.get("error"):
            answers[address] = str(info["error"].get("message") or "unknown error")
        else:
            answers[address] = info
    return answers


def _google_schedule(
    client: GoogleClient, addresses: list[str], start: dt.datetime, end: dt.datetime
) -> dict[str, Answer]:
    """One freeBusy call, its busy times put as getSchedule's items (no database here)."""
    try:
        found = client.free_busy(addresses, start, end)
    except GoogleError as exc:
        return dict.fromkeys(addresses, exc.message or f"HTTP {exc.status}")
    answers: dict[str, Answer] = {}
    for address in addresses:
        busy = found.get(address)
        if busy is None:
            answers[address] = "Google Calendar did not answer for this room."
        elif isinstance(busy, GoogleError):
            answers[address] = busy.message
        else:
            answers[address] = {
                "calendar": providers.GOOGLE.name,
                "scheduleItems": [
                    {
                        "status": "busy",
                        "start": {"dateTime": begins.astimezone(dt.UTC).isoformat()},
                        "end": {"dateTime": ends.astimezone(dt.UTC).isoformat()},
                    }
                    for begins, ends in busy
                ],
            }
    return answers


def _outlook_reasons(
    room: Resource,
    info: dict[str, Any],
    start: dt.datetime,
    end: dt.datetime,
    booked: list[_Span],
) -> list[str]:
    """What the room's Outlook calendar holds in the window that Bookbridge does not
    already count (an item at a time of one of the room's reservations is left out)."""
    wanted = _Span(start, end)
    reasons = []
    for item in info.get("scheduleItems") or []:
        if item.get("status") in FREE_STATUSES:
            continue
        span = _Span(_item_time(item["start"]), _item_time(item["end"]))
        if not span.overlaps(wanted) or any(span.overlaps(b) for b in booked):
            continue
        reasons.append(_outlook_text(room, item, span, info.get("calendar") or "Outlook"))
    return reasons


def _outlook_text(room: Resource, item: dict[str, Any], span: _Span, calendar: str) -> str:
    text = f"{room.name} is busy in {calendar} {times_text(span.start, span.end, _zone(room))}"
    if item.get("subject"):
        text += f": '{item['subject']}'"
    elif item.get("isPrivate"):
        text += " (private)"
    return text + (" (tentative)" if item.get("status") == "tentative" else "")


def _zone(room: Resource) -> str:
    return room.location.time_zone


def _item_time(value: dict[str, Any]) -> dt.datetime:
    """A scheduleItem's start or end, in UTC: get_schedule asks for it so (Prefer:
    outlook.timezone), and a time without an offset is read as UTC."""
    return parse_datetime(str(value.get("dateTime", "")))

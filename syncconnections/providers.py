"""The calendar providers the sync engine writes to and reads from, and what differs between
them: a tenant's Calendar provider picks one. Each keeps its client module (graph.py,
google.py) and its JSON mapping (payloads.py with inbound/events.py, google_events.py); the
engine asks its provider for those, and hands the calls to the provider's own steps
(outbound/google_push.py, inbound/google_sync.py for Google)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bookings.models import Reservation
from syncconnections import google_events, payloads
from syncconnections.inbound.events import InboundEvent
from syncconnections.models import SyncConnection, Tenant


def _outlook_link_fields(body: dict[str, Any]) -> tuple[str, str, str]:
    return str(body["id"]), str(body.get("iCalUId") or ""), str(body.get("changeKey") or "")


def _google_link_fields(body: dict[str, Any]) -> tuple[str, str, str]:
    return str(body["id"]), google_events.meeting_uid(body), str(body.get("etag") or "")


def _outlook_pushed_from(event: InboundEvent, time_zone: str) -> dict[str, Any]:
    assert event.start is not None and event.end is not None
    return {"subject": event.subject, **payloads.event_times(event.start, event.end, time_zone)}


@dataclass(frozen=True)
class Provider:
    name: str  # as people know the calendar: "Outlook", "Google Calendar"
    # The event a reservation should be, in the provider's JSON (compared with what was
    # pushed, field by field, to send only what changed).
    event: Callable[[Reservation, SyncConnection, set[str]], dict[str, Any]]
    # What the calendar holds after an inbound change, in the same fields.
    pushed_from: Callable[[InboundEvent, str], dict[str, Any]]
    # The event id, iCalUID and version (Graph's changeKey, Google's etag) of an event the
    # provider returned.
    link_fields: Callable[[dict[str, Any]], tuple[str, str, str]]
    # Whether an event the provider returned for a create is the one asked for.
    holds: Callable[[dict[str, Any], dict[str, Any]], bool]
    # The name of that version in the provider's JSON, as the company log keeps it.
    version_field: str
    # Whether a removed entry may still be there (Graph's @removed: deleted, or out of the
    # window): asked before it cancels anything. Google lists only deletions so.
    removals_need_checking: bool
    # An event's times in the provider's JSON, from (start, end, time zone); and back.
    event_times: Callable[[dt.datetime, dt.datetime, str], dict[str, Any]]
    times: Callable[[dict[str, Any], str], tuple[dt.datetime, dt.datetime]]
    # The fields of a recurring event that redraw the series when they change.
    reshaping: tuple[str, ...]


MICROSOFT = Provider(
    name="Outlook",
    event=payloads.reservation_event,
    pushed_from=_outlook_pushed_from,
    link_fields=_outlook_link_fields,
    holds=payloads.holds,
    version_field="changeKey",
    removals_need_checking=True,
    event_times=payloads.event_times,
    times=payloads.times_from_graph,
    reshaping=("subject", "start", "end", "isAllDay", "recurrence"),
)
GOOGLE = Provider(
    name="Google Calendar",
    event=google_events.reservation_event,
    pushed_from=google_events.pushed_from,
    link_fields=_google_link_fields,
    holds=google_events.holds,
    version_field="etag",
    removals_need_checking=False,
    event_times=google_events.event_times,
    times=google_events.times,
    reshaping=("summary", "start", "end", "recurrence"),
)


def for_tenant(tenant: Tenant) -> Provider:
    return GOOGLE if tenant.is_google else MICROSOFT

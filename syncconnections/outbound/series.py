"""Recurring reservations: when a series may go out, and linking its occurrences to the
instances Outlook made of the recurring event."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bookings.models import Reservation, ReservationSeries, ReservationStatus
from bookings.recurrence import rrule_line
from syncconnections import google_events, payloads, providers
from syncconnections.models import EventKind, OutlookEvent, SyncConnection, Tenant


def refusal(series: ReservationSeries, tenant: Tenant, count: int) -> str:
    """Why the series may not be sent (empty when it may)."""
    recurrence = series.recurrence or {}
    if not recurrence.get("pattern") or not recurrence.get("range"):
        return f"The series “{series}” has no recurrence pattern to send."
    if recurrence["range"].get("type") == "noEnd":
        return (
            f"The series “{series}” has no end; {tenant} syncs at most "
            f"{tenant.max_occurrences} occurrences (max occurrences)."
        )
    if count > tenant.max_occurrences:
        return (
            f"The series “{series}” has {count} occurrences; {tenant} syncs at most "
            f"{tenant.max_occurrences} (max occurrences)."
        )
    return ""


def waiting(series: ReservationSeries) -> bool:
    """Not all occurrences exist yet: the series goes out whole, later."""
    return not series.occurrences_complete


def for_connection(occurrences: list[Reservation], connection: SyncConnection) -> list[Reservation]:
    """The occurrences that belong in this connection's calendar."""
    if connection.resource_id:
        return [o for o in occurrences if o.resource_id == connection.resource_id]
    return [o for o in occurrences if o.staff_id == connection.staff_id]


def recurring_event(
    series: ReservationSeries,
    occurrences: list[Reservation],
    connection: SyncConnection,
    connected: set[str],
) -> dict[str, Any]:
    """The recurring event for these occurrences (in date order): from the first one's day,
    at the times most occurrences keep, so that one moved on its own stays an exception
    rather than redrawing the series."""
    first = occurrences[0]
    zone = ZoneInfo(series.resource.location.time_zone)
    start, end = first.start.astimezone(zone), first.end.astimezone(zone)
    usual = Counter(
        (o.start.astimezone(zone).time(), o.end - o.start)
        for o in occurrences
        if o.status != ReservationStatus.CANCELLED
    ).most_common(1)
    if usual:
        [((at, length), _)] = usual
        start = dt.datetime.combine(first.start.astimezone(zone).date(), at, zone)
        end = start + length
    if connection.tenant.is_google:
        # One event with the RRULE that made the occurrences (RFC 5545, as Google takes it).
        event = google_events.reservation_event(first, connection, connected)
        all_day = payloads.is_all_day(start, end, zone.key)
        rule = rrule_line(series.recurrence, start, connection.tenant.max_occurrences, all_day)
        return {
            **event,
            "summary": series.title,
            **google_events.event_times(start, end, zone.key),
            "recurrence": [rule],
        }
    event = payloads.series_event(series, first, connection, connected)
    if usual:
        event.update(payloads.event_times(start, end, zone.key))
    return event


def reshaped(desired: dict[str, Any], master: OutlookEvent) -> dict[str, Any]:
    """What of the series as a whole differs from the recurring event in its calendar: the
    fields that redraw the series (and drop its exceptions, which are then sent again)."""
    reshaping = providers.for_tenant(master.sync_connection.tenant).reshaping
    return {k: desired[k] for k in reshaping if k in desired and desired[k] != master.pushed.get(k)}


@dataclass
class Mapping:
    links: list[OutlookEvent] = field(default_factory=list)
    follow_up: list[int] = field(default_factory=list)  # occurrences to push one by one
    surplus: list[str] = field(default_factory=list)  # instances with no occurrence: delete


def map_instances(
    master: OutlookEvent,
    occurrences: list[Reservation],
    instances: list[dict[str, Any]],
    connection: SyncConnection,
    connected: set[str],
) -> Mapping:
    """Pair occurrences with instances: same start first, then the rest in date order.

    Each occurrence's link records what Outlook holds (the series' fields at the instance's
    times), so the normal diff sends whatever the occurrence does differently (moved,
    renamed, tentative); cancelled ones are deleted. Instances left over are deleted;
    occurrences left over are pushed as events of their own."""
    mapping = Mapping()
    provider = providers.for_tenant(connection.tenant)
    time_zone = master.series.resource.location.time_zone
    times = {i["id"]: provider.times(i, time_zone) for i in instances}
    by_start = {payloads.utc_minute(times[i["id"]][0]): i for i in instances}
    unmatched = []
    paired: list[tuple[Reservation, dict[str, Any]]] = []
    for occurrence in occurrences:
        instance = by_start.pop(payloads.utc_minute(occurrence.start), None)
        if instance is None:
            unmatched.append(occurrence)
        else:
            paired.append((occurrence, instance))
    rest = sorted(by_start.values(), key=lambda i: times[i["id"]][0])
    paired += list(zip(unmatched, rest, strict=False))
    mapping.follow_up += [o.pk for o in unmatched[len(rest) :]]
    mapping.surplus += [i["id"] for i in rest[len(unmatched) :]]
    as_sent = {k: v for k, v in master.pushed.items() if k != "recurrence"}
    for occurrence, instance in paired:
        held = {**as_sent, **provider.event_times(*times[instance["id"]], time_zone)}
        event_id, ical_uid, change_key = provider.link_fields(instance)
        mapping.links.append(
            OutlookEvent(
                sync_connection=connection,
                reservation=occurrence,
                kind=EventKind.OCCURRENCE,
                mailbox=master.mailbox,
                event_id=event_id,
                ical_uid=ical_uid,
                change_key=change_key,
                pushed=held,
            )
        )
        desired = provider.event(occurrence, connection, connected)
        if payloads.changes(desired, held) or occurrence.status == ReservationStatus.CANCELLED:
            mapping.follow_up.append(occurrence.pk)
    return mapping

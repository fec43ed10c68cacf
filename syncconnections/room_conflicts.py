"""Outlook meetings in the way of a reservation: finding and recording them (the decisions
are in conflict_decisions.py).

A room calendar Bookbridge writes into with application permissions accepts any event:
Exchange's own guard (a room declining a conflicting invitation) does not apply to it. So a
push into a room first reads the room's calendar for the slot, and a meeting there that
Bookbridge does not know stops the push: an OutlookConflict, which a person decides.

Sync Down does the same when a meeting it reads lands on a slot a reservation holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from bookings.models import Reservation
from bookings.overlaps import times_text
from errors.models import Operation
from errors.recording import record
from syncconnections import google_events, providers
from syncconnections.models import (
    ConflictOrigin,
    OutlookConflict,
    SyncConnection,
    lock_calendars,
)
from syncconnections.payloads import times_from_graph

STAGE = "room busy in Outlook"


def in_the_way(event: dict[str, Any], start: dt.datetime, end: dt.datetime, zone: str) -> bool:
    """Whether an Outlook event (Graph JSON) holds the room during [start, end): a cancelled
    meeting or one shown as free does not."""
    if event.get("isCancelled") or event.get("showAs") == "free":
        return False
    try:
        begins, ends = times_from_graph(event, zone)
    except (KeyError, TypeError, ValueError):
        return False
    return begins < end and ends > start


def organizer_of(event: dict[str, Any]) -> str:
    return str(((event.get("organizer") or {}).get("emailAddress") or {}).get("address") or "")


def found(
    reservation: Reservation,
    connection: SyncConnection,
    event: dict[str, Any],
    origin: ConflictOrigin,
) -> OutlookConflict | None:
    """Record that this Outlook meeting is in the reservation's way, once while it is open
    (found again by the next push or a resync: nothing new), with a sync error that says so.
    The new conflict, or None when it was open already."""
    zone = reservation.resource.location.time_zone
    if connection.tenant.is_google:
        start, end = google_events.times(event, zone)
        subject = event.get("summary")
        organizer = str((event.get("organizer") or {}).get("email") or "")
    else:
        start, end = times_from_graph(event, zone)
        subject, organizer = event.get("subject"), organizer_of(event)
    conflict = OutlookConflict(
        reservation=reservation,
        sync_connection=connection,
        origin=origin,
        event_id=str(event["id"])[:255],
        subject=str(subject or "")[:255],
        organizer_email=organizer[:320],
        start=start,
        end=end,
        outlook_data=event,
    )
    with transaction.atomic():
        # The calendar's row first, as Sync Down and the push's store take it: a push and a
        # Sync Down finding the same meeting at once then write one conflict, one after the
        # other, instead of each holding the index entry or the row the other waits for
        # (a deadlock seen on PostgreSQL).
        lock_calendars([connection.pk])
        try:
            with transaction.atomic():
                conflict.save()
        except IntegrityError:  # the partial unique index: open already
            return None
        record(
            operation=Operation.SYNC_DOWN
            if origin == ConflictOrigin.SYNC_DOWN
            else Operation.CREATE,
            stage=STAGE,
            connection=connection,
            reservation=reservation,
            message=f"{describe(conflict)} {_consequence(origin)}",
        )
    return conflict


def describe(conflict: OutlookConflict) -> str:
    """ "Outlook holds 'Budget review' (anna@contoso.com) 09:00–10:00 in Boardroom", in the
    location's time zone ("Google Calendar holds …" for a Google room)."""
    organizer = f" ({conflict.organizer_email})" if conflict.organizer_email else ""
    resource = conflict.reservation.resource
    when = times_text(conflict.start, conflict.end, resource.location.time_zone)
    calendar = providers.for_tenant(conflict.sync_connection.tenant).name
    return (
        f"{calendar} holds '{conflict.subject or '(no subject)'}'{organizer} {when} in "
        f"{conflict.reservation.resource.name}, in the way of '{conflict.reservation.title}' "
        f"(#{conflict.reservation_id})."
    )


def _consequence(origin: str) -> str:
    if origin == ConflictOrigin.SYNC_DOWN:
        return "The meeting was not booked in Bookbridge: keep ours or give way."
    return "The reservation was not sent to the room's calendar: keep ours or give way."

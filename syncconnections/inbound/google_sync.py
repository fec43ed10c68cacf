"""Sync Down from Google Calendar: a calendar's events listed with incremental sync tokens
(developers.google.com/workspace/calendar/api/guides/sync).

The first read lists the sync window's events, deleted ones too (showDeleted), and keeps the
sync token Google gives on its last page; each later read lists what changed since, and
keeps the next. A 410 fullSyncRequired drops the token and lists the window afresh. Google
lists a deletion as an event with status "cancelled", so a fresh listing reports deletions,
and a linked event it does not list at all has gone for good. Pages are applied by the same
PageApplier as Graph's delta pages; applying one twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from bookings.models import ReservationStatus
from errors.models import Operation
from errors.recording import resolve
from syncconnections.google import GoogleClient, GoogleError, GoogleResyncNeeded
from syncconnections.google_events import GoogleEvent
from syncconnections.inbound.apply import PageApplier, PageResult
from syncconnections.inbound.reading import (
    SyncResult,
    current_window,
    failed,
    moment,
    read_ahead,
)
from syncconnections.models import OutlookEvent, SyncConnection

logger = logging.getLogger(__name__)

STAGE = "list events"


def sync_down(connection: SyncConnection, result: SyncResult) -> None:
    """Bring the back office up to date with the connection's Google calendar."""
    try:
        client = GoogleClient.for_tenant(connection.tenant)
    except ValueError as exc:  # the tenant's key file is none
        failed(connection, result, GoogleError(str(exc), permanent=True), STAGE)
        return
    try:
        try:
            _follow(connection, client, result)
        except GoogleResyncNeeded:
            logger.info("sync token of %s expired: listing its window afresh", connection)
            result.resynced = True
            SyncConnection.objects.filter(pk=connection.pk).update(
                delta_token="", delta_window_start=None, delta_window_end=None
            )
            connection.delta_token = ""
            _follow(connection, client, result)
    except GoogleError as exc:
        failed(connection, result, exc, STAGE)
    else:
        resolve(Operation.SYNC_DOWN, connection)


def _follow(connection: SyncConnection, client: GoogleClient, result: SyncResult) -> None:
    token = connection.delta_token
    if token:
        start, end = connection.delta_window_start, connection.delta_window_end
    else:
        start, end = current_window()
    seen: set[str] | None = None if token else set()
    pages = client.event_changes(
        connection.calendar_id or connection.user_id,
        token,
        window=None if token else (moment(start), moment(end)),
        # A recurring meeting as its instances (recurringEventId, originalStartTime), which
        # the engine books as occurrences of one series, as Graph's calendar view gives them.
        single_events=True,
    )
    for items, next_token in read_ahead(pages):
        events = [GoogleEvent(data) for data in items]
        with transaction.atomic():
            changes = PageApplier(connection, None, events).apply()
            reached = {"last_synced_at": timezone.now()}
            if next_token:  # the last page: next time, what changed since
                reached.update(
                    delta_token=next_token, delta_window_start=start, delta_window_end=end
                )
            SyncConnection.objects.filter(pk=connection.pk).update(**reached)
        if seen is not None:
            seen.update(event.id for event in events)
        result.pages += 1
        result.events += len(events)
        result.changes.add(changes)
    if seen is not None and start is not None and end is not None:
        result.changes.add(_reconcile(connection, seen, moment(start), moment(end)))


def _reconcile(
    connection: SyncConnection, seen: set[str], start: dt.datetime, end: dt.datetime
) -> PageResult:
    """Linked events of the window that a fresh listing, deletions included, did not list:
    gone from Google for good (deleted long ago). Applied as deletions."""
    missing = [
        event_id
        for event_id in OutlookEvent.objects.filter(
            sync_connection=connection, reservation__start__lt=end, reservation__end__gt=start
        )
        .exclude(reservation__status=ReservationStatus.CANCELLED)
        .values_list("event_id", flat=True)
        if event_id not in seen
    ]
    if not missing:
        return PageResult()
    gone = [GoogleEvent({"id": event_id, "status": "cancelled"}) for event_id in missing]
    with transaction.atomic():
        return PageApplier(connection, None, gone).apply()

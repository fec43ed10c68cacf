"""Deciding a conflict with Outlook (the admin and the API call these):

- Keep ours: the Outlook meeting is declined in the room's calendar (cancelled, when the room
  itself organizes it), with the reason to its organizer; the reservation is then sent.
- Give way: the reservation is cancelled, with the reason; a meeting that arrived on its slot
  is then read from Outlook again and booked as any other.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from bookings.models import Reservation, ReservationStatus
from errors.models import Operation, SyncError
from errors.recording import record
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.google_events import GoogleEvent
from syncconnections.graph import GraphClient, GraphError
from syncconnections.inbound.apply import PageApplier
from syncconnections.inbound.events import InboundEvent
from syncconnections.models import (
    ConflictOrigin,
    ConflictState,
    OutlookConflict,
    OutlookEvent,
    SyncConnection,
)
from syncconnections.outbound.queueing import queue
from syncconnections.room_conflicts import STAGE


class DecisionRefused(Exception):
    """A decision that cannot be made (decided already, not allowed by the sync mode, or
    refused by Graph); its message is for the person who asked."""


def keep_ours(conflict: OutlookConflict, user: AbstractBaseUser, reason: str = "") -> str:
    """Decline the Outlook meeting in the room's calendar, then send the reservation."""
    connection = conflict.sync_connection
    if not connection.is_pushing:
        raise DecisionRefused(
            f"Bookbridge does not write to {connection.user_id} (its tenant's sync mode): "
            "decline the meeting in Outlook, or give way."
        )
    comment = reason.strip() or (
        f"{conflict.reservation.resource.name} is booked for '{conflict.reservation.title}' "
        "at this time."
    )
    _claim(conflict, ConflictState.KEPT_OURS, user, comment)
    try:
        _decline(connection, conflict, comment)
    except DecisionRefused:
        _reopen(conflict)
        raise
    with transaction.atomic():
        _resolve_errors(conflict)
        _send_again(conflict.reservation)  # now free to go out
    return f"Declined '{conflict.subject}' in {connection.user_id}; the reservation is sent."


def give_way(conflict: OutlookConflict, user: AbstractBaseUser, reason: str) -> str:
    """Cancel the reservation; the Outlook meeting keeps the room."""
    if not reason.strip():
        raise DecisionRefused("Say why the reservation gives way: the reason is kept with it.")
    reservation = conflict.reservation
    if reservation.is_inbound:  # two Outlook meetings: Bookbridge cancels neither
        raise DecisionRefused(
            f"'{reservation.title}' was booked in Outlook too: cancel one of the two meetings "
            "in Outlook, or keep ours to decline the later one in the room."
        )
    with transaction.atomic():
        _claim(conflict, ConflictState.GAVE_WAY, user, reason.strip())
        if reservation.status != ReservationStatus.CANCELLED:
            reservation.status = ReservationStatus.CANCELLED
            reservation.save()
        _resolve_errors(conflict)
        if reservation.series_id:
            _send_again(reservation)  # the rest of its series waited for this decision
        if conflict.origin == ConflictOrigin.SYNC_DOWN:
            async_task(book_meeting_job, conflict.pk, task_name="book the meeting that won")
    return f"Cancelled '{reservation.title}' (#{reservation.pk}): {reason.strip()}"


def _send_again(reservation: Reservation) -> None:
    """Queue the reservation for Outlook; an occurrence with its whole series, which goes out
    as one event."""
    if reservation.series_id:
        queue(
            list(
                Reservation.objects.filter(series_id=reservation.series_id).values_list(
                    "pk", flat=True
                )
            )
        )
    else:
        queue([reservation.pk])


def _claim(
    conflict: OutlookConflict, state: ConflictState, user: AbstractBaseUser, reason: str
) -> None:
    """One conditional UPDATE: of two people deciding at once, one decides."""
    now = timezone.now()
    done = OutlookConflict.objects.filter(pk=conflict.pk, state=ConflictState.OPEN).update(
        state=state, decided_by=user, decided_at=now, reason=reason, updated_at=now
    )
    if not done:
        conflict.refresh_from_db()
        raise DecisionRefused(f"This conflict was decided already: {conflict.get_state_display()}.")
    conflict.refresh_from_db()


def _reopen(conflict: OutlookConflict) -> None:
    OutlookConflict.objects.filter(pk=conflict.pk).update(
        state=ConflictState.OPEN, decided_by=None, decided_at=None, reason=""
    )
    conflict.refresh_from_db()


def _resolve_errors(conflict: OutlookConflict) -> None:
    SyncError.objects.filter(
        reservation_id=conflict.reservation_id,
        sync_connection_id=conflict.sync_connection_id,
        stage=STAGE,
        resolved=False,
    ).update(resolved=True, resolved_at=timezone.now())


def _decline(connection: SyncConnection, conflict: OutlookConflict, comment: str) -> None:
    """An attendee declines (event-decline.md); the organizer cannot, and cancels its own
    meeting instead (event-cancel.md). A meeting gone already counts as done."""
    if connection.tenant.is_google:
        _decline_in_google(connection, conflict)
        return
    client = GraphClient.for_tenant(connection.tenant)
    try:
        if conflict.organizer_email.lower() == connection.user_id.lower():
            client.cancel_event(connection.user_id, conflict.event_id, comment)
        else:
            client.decline_event(connection.user_id, conflict.event_id, comment)
    except GraphError as exc:
        if exc.status == 404:
            return
        record(
            operation=Operation.DELETE,
            stage="decline meeting",
            connection=connection,
            reservation=conflict.reservation,
            error=exc,
        )
        raise DecisionRefused(f"Outlook refused to decline the meeting: {exc.message}") from exc


def _decline_in_google(connection: SyncConnection, conflict: OutlookConflict) -> None:
    """The room declines its copy of the meeting (its own answer among the attendees); a
    meeting the room's calendar organizes itself is deleted. Gone already counts as done."""
    calendar = connection.calendar_id or connection.user_id
    try:
        client = GoogleClient.for_tenant(connection.tenant)
        event = client.get_event(calendar, conflict.event_id)
        if event.get("status") == "cancelled":
            return
        attendees = [a for a in event.get("attendees") or [] if isinstance(a, dict)]
        if not any(a.get("self") for a in attendees):
            client.delete_event(calendar, conflict.event_id)
            return
        declined = [{**a, "responseStatus": "declined"} if a.get("self") else a for a in attendees]
        client.patch_event(calendar, conflict.event_id, {"attendees": declined})
    except GoogleError as exc:
        if exc.status in (404, 410):
            return
        record(
            operation=Operation.DELETE,
            stage="decline meeting",
            connection=connection,
            reservation=conflict.reservation,
            error=exc,
        )
        raise DecisionRefused(f"Google refused to decline the meeting: {exc.message}") from exc
    except ValueError as exc:  # the tenant's key file is none
        raise DecisionRefused(f"Google could not be asked: {exc}") from exc


def _read_again(connection: SyncConnection, event_id: str) -> InboundEvent | None:
    """The meeting as its calendar holds it now; None when it is gone."""
    if connection.tenant.is_google:
        calendar = connection.calendar_id or connection.user_id
        try:
            data = GoogleClient.for_tenant(connection.tenant).get_event(calendar, event_id)
        except GoogleError as exc:
            if exc.status in (404, 410):
                return None
            raise
        return None if data.get("status") == "cancelled" else GoogleEvent(data)
    try:
        return InboundEvent(
            GraphClient.for_tenant(connection.tenant).get_event(connection.user_id, event_id)
        )
    except GraphError as exc:
        if exc.status == 404:
            return None
        raise


def book_meeting_job(conflict_id: int) -> str:
    """The meeting that won the slot, read again and applied as Sync Down would have: a delta
    read does not bring it back, it was read already."""
    conflict = OutlookConflict.objects.select_related("sync_connection__tenant").get(pk=conflict_id)
    connection = conflict.sync_connection
    event = _read_again(connection, conflict.event_id)
    if event is None:
        return "the meeting is gone from its calendar"
    # Read before, and refused then: its version is not an echo to skip now.
    OutlookEvent.objects.filter(sync_connection=connection, event_id=conflict.event_id).update(
        change_key=""
    )
    client = None if connection.tenant.is_google else GraphClient.for_tenant(connection.tenant)
    result = PageApplier(connection, client, [event]).apply()
    return f"booked {result.created} reservation(s)"

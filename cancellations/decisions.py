"""Deciding cancellation requests: approve ("Cancel"), reject ("Keep"), or look in Outlook.

The admin (and later other front ends) call these; each decision claims the request with a
conditional update, so deciding twice, or two people deciding at once, changes nothing the
second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from bookings.times import shown_in
from cancellations.models import SNAPSHOT_FIELDS, CancellationRequest, Decision, snapshot
from syncconnections import outbound
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.graph import GraphClient, GraphError
from syncconnections.models import OutlookEvent, SyncConnection


@dataclass
class Change:
    field: str
    detected: Any  # as stored (a moment in UTC, ISO 8601): what the API gives
    now: Any
    detected_shown: str = ""  # for people: a moment in the room's zone, as the admin writes it
    now_shown: str = ""


@dataclass
class Outcome:
    """What a decision did, in words for the person who made it."""

    request: CancellationRequest
    done: bool
    message: str
    changes: list[Change] = field(default_factory=list)


def changes_since_detection(request: CancellationRequest, reservation: Reservation) -> list[Change]:
    """The reservation fields that differ from when the cancellation was detected."""
    if not request.reservation_snapshot:  # made before snapshots were kept
        return (
            [Change("updated_at", request.created_at, reservation.updated_at)]
            if reservation.updated_at > request.created_at
            else []
        )
    now = snapshot(reservation)
    zone = reservation.resource.location.time_zone
    changes = []
    for name in SNAPSHOT_FIELDS:
        before, after = request.reservation_snapshot.get(name), now[name]
        if name in MOMENTS:
            # Compared as moments (older snapshots kept the zone they were read in) and
            # shown in the room's zone, as the admin shows times.
            was, now_is = _moment(before), _moment(after)
            if was != now_is:
                changes.append(
                    Change(
                        name, _utc(was), _utc(now_is), shown_in(was, zone), shown_in(now_is, zone)
                    )
                )
        elif before != after:
            changes.append(Change(name, before, after, str(before), str(after)))
    return changes


MOMENTS = ("start", "end")


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _utc(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def approve(
    request: CancellationRequest, user: AbstractBaseUser, *, despite_changes: bool = False
) -> Outcome:
    """Cancel the reservation, unless it changed since detection and nobody re-checked it.

    The request's Outlook event is gone, so its link is dropped (nothing to delete there);
    the reservation's other calendars follow through outbound sync. Other pending requests
    for the same reservation are settled by the same decision.
    """
    with transaction.atomic():
        # The reservation's lock first: decisions on its requests then queue one behind the
        # other, and each sees what the one before it decided.
        reservation = (
            Reservation.objects.select_for_update().filter(pk=request.reservation_id).first()
        )
        if (
            reservation is None
            or not CancellationRequest.objects.filter(
                pk=request.pk, state=Decision.PENDING
            ).exists()
        ):
            return _already_decided(request)
        changes = changes_since_detection(request, reservation)
        if changes and not despite_changes:
            return Outcome(
                request,
                False,
                f"Not cancelled: {reservation} changed since the cancellation was detected "
                f"({describe(changes)}). Re-check it in Outlook (“Get status info”), then "
                "approve it again, confirming the changes.",
                changes,
            )
        siblings = CancellationRequest.objects.filter(
            reservation=reservation, state=Decision.PENDING
        )
        claimed = list(siblings.values_list("pk", "outlook_event_id", "sync_connection_id"))
        if not _claim(request, Decision.APPROVED, user):
            return _already_decided(request)
        siblings.update(state=Decision.APPROVED, decided_by=user, decided_at=timezone.now())
        for _, event_id, connection_id in claimed:
            OutlookEvent.objects.filter(
                sync_connection_id=connection_id, event_id=event_id
            ).delete()
        if reservation.status == ReservationStatus.CANCELLED:
            return Outcome(request, True, f"{reservation} was already cancelled.")
        reservation.status = ReservationStatus.CANCELLED
        reservation.save()
    return Outcome(request, True, f"Cancelled {reservation}.")


def keep(request: CancellationRequest, user: AbstractBaseUser) -> Outcome:
    """Keep the reservation; put its event back in Outlook where the tenant's mode allows."""
    with transaction.atomic():
        if not _claim(request, Decision.REJECTED, user):
            return _already_decided(request)
        reservation = Reservation.objects.get(pk=request.reservation_id)
        connection = request.sync_connection
        if reservation.is_inbound:
            return Outcome(
                request,
                True,
                f"Kept {reservation}. It was made in Outlook, so it is not put back there; "
                "ask its organizer to book it again.",
            )
        if connection is None:
            return Outcome(
                request,
                True,
                f"Kept {reservation}. Its calendar's connection was removed, so Outlook is left "
                "as it is.",
            )
        if not connection.is_pushing:
            return Outcome(
                request,
                True,
                f"Kept {reservation}. This calendar is not written to (inbound sync or "
                "inactive), so Outlook is left as it is.",
            )
        # The old event is cancelled or gone: the push makes a new one (with a new
        # transactionId, as the old one's would bring the old event back), and deletes the
        # old one, left behind as an orphan, so that the calendar holds one live event.
        OutlookEvent.objects.filter(
            sync_connection=connection, event_id=request.outlook_event_id
        ).update(reservation=None)
        outbound.queue([reservation.pk])
    return Outcome(request, True, f"Kept {reservation}; its event is being put back in Outlook.")


@dataclass
class StatusInfo:
    """The event as Outlook has it now (or why that is not known)."""

    request: CancellationRequest
    event: dict[str, Any] | None = None
    deleted: bool = False
    error: str = ""
    google: bool = False  # the event is Google's JSON (else Graph's)

    @property
    def outlook_state(self) -> str:
        """Deleted, cancelled or present: the event in Outlook (when there is no error)."""
        if self.deleted:
            return "deleted"
        return "cancelled" if (self.event or {}).get("isCancelled") else "present"


def status_info(request: CancellationRequest) -> StatusInfo:
    """Fetch the request's event from Graph now. Changes nothing."""
    connection = request.sync_connection
    if connection is None:
        return StatusInfo(request, error="The request has no connection, so no calendar to ask.")
    if connection.tenant.is_google:
        return _google_status(request, connection)
    client = GraphClient.for_tenant(connection.tenant)
    try:
        event = client.get_event(connection.user_id, request.outlook_event_id)
    except GraphError as exc:
        if exc.status == 404:
            return StatusInfo(request, deleted=True)
        return StatusInfo(request, error=f"Microsoft Graph answered: {exc}")
    return StatusInfo(request, event=event)


def _google_status(request: CancellationRequest, connection: SyncConnection) -> StatusInfo:
    """Google keeps a deleted event, with status "cancelled": that is a deletion."""
    calendar = connection.calendar_id or connection.user_id
    try:
        client = GoogleClient.for_tenant(connection.tenant)
        event = client.get_event(calendar, request.outlook_event_id)
    except GoogleError as exc:
        if exc.status in (404, 410):
            return StatusInfo(request, deleted=True)
        return StatusInfo(request, error=f"Google Calendar answered: {exc}")
    except ValueError as exc:  # the tenant's key file is none
        return StatusInfo(request, error=f"Google Calendar could not be asked: {exc}")
    return StatusInfo(request, event=event, deleted=event.get("status") == "cancelled", google=True)


def describe(changes: list[Change]) -> str:
    return "; ".join(
        f"{c.field.removesuffix('_id')}: {c.detected_shown} → {c.now_shown}" for c in changes
    )


def _claim(request: CancellationRequest, state: str, user: AbstractBaseUser) -> bool:
    now = timezone.now()
    claimed = CancellationRequest.objects.filter(pk=request.pk, state=Decision.PENDING).update(
        state=state, decided_by=user, decided_at=now, updated_at=now
    )
    if claimed:
        request.state, request.decided_by, request.decided_at = state, user, now
    return bool(claimed)


def _already_decided(request: CancellationRequest) -> Outcome:
    current = CancellationRequest.objects.filter(pk=request.pk).first()
    if current is None:  # its reservation was deleted, and the request with it
        return Outcome(request, False, "Nothing done: this request no longer exists.")
    request = current
    who = request.decided_by or "someone"
    when = timezone.localtime(request.decided_at).strftime("%Y-%m-%d %H:%M")
    return Outcome(
        request,
        False,
        f"Nothing done: this request was already {request.get_state_display().lower()} "
        f"by {who} at {when}.",
    )

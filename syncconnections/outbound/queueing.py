"""Putting reservations in the outbox, inside the transaction of the change."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.db.models import Min, Q
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus, Resource, Staff
from syncconnections.models import EventKind, OutboxEntry, OutlookEvent, SyncConnection
from syncconnections.outbound.worker import wake


def wants_push(reservation: Reservation) -> bool:
    """Whether a change to this reservation concerns any Outlook calendar."""
    if reservation.is_inbound:
        return False
    targets = Q(resource_id=reservation.resource_id)
    if reservation.staff_id:
        targets |= Q(staff_id=reservation.staff_id)
    return (
        SyncConnection.objects.pushing().filter(targets).exists()
        or OutlookEvent.objects.filter(reservation=reservation).exists()
    )


def queue_new(reservations: list[Reservation]) -> None:
    """Put new reservations in the outbox (one query for the lot) if a calendar Bookbridge
    writes to shows them. Occurrences of a series not yet complete wait for it."""
    new = [
        r
        for r in reservations
        if not r.is_inbound and not (r.series_id and not r.series.occurrences_complete)
    ]
    if not new:
        return
    targets = Q(resource_id__in={r.resource_id for r in new}) | Q(
        staff_id__in={r.staff_id for r in new if r.staff_id}
    )
    pushing = (
        SyncConnection.objects.pushing().filter(targets).values_list("resource_id", "staff_id")
    )
    resources = {resource for resource, _ in pushing if resource}
    staff = {person for _, person in pushing if person}
    queue([r.pk for r in new if r.resource_id in resources or r.staff_id in staff])


def occurrence_limit(resource: Resource, staff: Staff | None) -> int | None:
    """The lowest max occurrences of the tenants whose calendars would show a series of this
    room (and person), if any."""
    targets = Q(resource=resource) | (Q(staff=staff) if staff is not None else Q(pk__in=[]))
    return (
        SyncConnection.objects.pushing()
        .filter(targets)
        .aggregate(limit=Min("tenant__max_occurrences"))["limit"]
    )


def queue(reservation_ids: Collection[int]) -> None:
    """Put reservations in the outbox. An entry already there gets a new version, so a
    worker busy with it works on it again afterwards, with the state that caused this call."""
    if not reservation_ids:
        return
    OutboxEntry.objects.add(reservation_ids)
    wake()


def forget_reservation(reservation: Reservation) -> None:
    """The reservation is being deleted: its events become orphans, which the worker deletes."""
    if OutlookEvent.objects.filter(reservation=reservation).update(reservation=None):
        wake()


def left_series(reservation: Reservation) -> None:
    """An occurrence moved to another series (a split): the Outlook instance it was linked to
    belongs to the old series' recurring event. That instance is removed (an orphan, whether
    or not the old event already ended before it); the occurrence goes out with its new
    series."""
    if OutlookEvent.objects.filter(reservation=reservation, kind=EventKind.OCCURRENCE).update(
        reservation=None
    ):
        wake()


def queue_connection(connections: Iterable[SyncConnection]) -> int:
    """Queue what newly active connections should show: their future reservations, and every
    reservation that already has an event in them (it may have changed meanwhile)."""
    connections = list(connections)
    resources = {c.resource_id for c in connections if c.resource_id}
    staff = {c.staff_id for c in connections if c.staff_id}
    future = (
        Reservation.objects.filter(Q(resource_id__in=resources) | Q(staff_id__in=staff))
        .filter(end__gte=timezone.now(), direction="outbound")
        .exclude(status=ReservationStatus.CANCELLED)
        .values_list("pk", flat=True)
    )
    linked = OutlookEvent.objects.filter(
        sync_connection__in=connections, reservation__isnull=False
    ).values_list("reservation_id", flat=True)
    ids = set(future) | set(linked)
    queue(ids)
    if OutlookEvent.objects.filter(
        sync_connection__in=connections, reservation__isnull=True, series__isnull=True
    ).exists():
        wake()  # orphans to delete
    return len(ids)

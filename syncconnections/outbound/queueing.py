"""Putting reservations in the outbox, inside the transaction of the change."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from syncconnections import wakeups
from syncconnections.models import OutboxEntry, OutlookEvent, SyncConnection, SyncMode

WORKER = "outbound"
OUTBOUND_MODES = (SyncMode.BIDIRECTIONAL, SyncMode.OUTBOUND)


def pushing_connections() -> QuerySet[SyncConnection]:
    """Connections whose calendars Bookbridge writes to."""
    return SyncConnection.objects.filter(
        active=True, valid=True, tenant__sync_mode__in=OUTBOUND_MODES
    )


def is_pushing(connection: SyncConnection) -> bool:
    return (
        connection.active and connection.valid and connection.tenant.sync_mode in (OUTBOUND_MODES)
    )


def wants_push(reservation: Reservation) -> bool:
    """Whether a change to this reservation concerns any Outlook calendar."""
    if reservation.is_inbound:
        return False
    targets = Q(resource_id=reservation.resource_id)
    if reservation.staff_id:
        targets |= Q(staff_id=reservation.staff_id)
    return (
        pushing_connections().filter(targets).exists()
        or OutlookEvent.objects.filter(reservation=reservation).exists()
    )


def queue(reservation_ids: Collection[int], *, wake_worker: bool = True) -> None:
    """Put reservations in the outbox. An entry already there gets a new version, so a
    worker busy with it works on it again afterwards, with the state that caused this call."""
    if not reservation_ids:
        return
    OutboxEntry.objects.filter(reservation_id__in=reservation_ids).update(
        version=F("version") + 1, not_before=None
    )
    OutboxEntry.objects.bulk_create(
        [OutboxEntry(reservation_id=pk) for pk in reservation_ids], ignore_conflicts=True
    )
    if wake_worker:
        wake()


def forget_reservation(reservation: Reservation) -> None:
    """The reservation is being deleted: its events become orphans, which the worker deletes."""
    if OutlookEvent.objects.filter(reservation=reservation).update(reservation=None):
        wake()


def wake() -> None:
    """Enqueue the outbound worker unless it is already waiting to run."""
    wakeups.wake(WORKER, "syncconnections.tasks.push_outbound", "push to Outlook")


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

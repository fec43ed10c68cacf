"""How the Microsoft 365 integration hears about bookings (bookings.signals)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from bookings import signals
from bookings.models import Reservation, ReservationSeries, Resource, Staff
from common import work_queue
from syncconnections import outbound
from syncconnections.inbound import subscriptions, sync_requests
from syncconnections.models import (
    OutboxEntry,
    SubscriptionRequest,
    SyncConnection,
    SyncRequest,
    Tenant,
)
from syncconnections.models.connections import PUSHING_MODES


@receiver(signals.reservation_created, sender=Reservation, dispatch_uid="outbound.created")
@receiver(signals.reservation_changed, sender=Reservation, dispatch_uid="outbound.changed")
def push_reservation(sender: type[Reservation], reservation: Reservation, **kwargs: Any) -> None:
    if "series_id" in kwargs.get("changes", {}) and not reservation.is_inbound:
        outbound.left_series(reservation)  # an inbound one's events are Outlook's own
    if outbound.wants_push(reservation):
        outbound.queue([reservation.pk])


@receiver(signals.reservations_created, sender=Reservation, dispatch_uid="outbound.batch")
def push_new_reservations(
    sender: type[Reservation], reservations: list[Reservation], **kwargs: Any
) -> None:
    outbound.queue_new(reservations)


@receiver(signals.reservation_deleted, sender=Reservation, dispatch_uid="outbound.deleted")
def remove_reservation(sender: type[Reservation], reservation: Reservation, **kwargs: Any) -> None:
    outbound.forget_reservation(reservation)


@receiver(signals.series_completed, sender=ReservationSeries, dispatch_uid="outbound.series")
def push_series(sender: type[ReservationSeries], series: ReservationSeries, **kwargs: Any) -> None:
    occurrences = list(series.occurrences.all())
    if occurrences and outbound.wants_push(occurrences[0]):
        outbound.queue([o.pk for o in occurrences])


@receiver(signals.series_reshaped, sender=ReservationSeries, dispatch_uid="outbound.reshaped")
def push_reshaped_series(
    sender: type[ReservationSeries], series: ReservationSeries, **kwargs: Any
) -> None:
    push_series(sender, series)


@receiver(signals.occurrence_limit, sender=ReservationSeries, dispatch_uid="outbound.limit")
def occurrence_limit(
    sender: type[ReservationSeries], resource: Resource, staff: Staff | None, **kwargs: Any
) -> int | None:
    """A series goes to Outlook whole or not at all: no more than the calendars' tenants
    accept (max occurrences)."""
    return outbound.occurrence_limit(resource, staff)


@receiver(pre_save, sender=Tenant, dispatch_uid="outbound.tenant_mode_before")
def remember_sync_mode(sender: type[Tenant], instance: Tenant, **kwargs: Any) -> None:
    instance._stored_sync_mode = (
        Tenant.objects.filter(pk=instance.pk).values_list("sync_mode", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Tenant, dispatch_uid="outbound.tenant_mode_after")
def push_when_outbound_again(
    sender: type[Tenant], instance: Tenant, created: bool, **kwargs: Any
) -> None:
    """A tenant switched to a mode that writes to Outlook: bring its calendars up to date."""
    before = getattr(instance, "_stored_sync_mode", None)
    if not created and before not in PUSHING_MODES and instance.sync_mode in PUSHING_MODES:
        outbound.queue_connection(SyncConnection.objects.pushing().filter(tenant=instance))


@receiver(work_queue.claims_released, sender=OutboxEntry, dispatch_uid="outbound.released")
def push_released(sender: type[OutboxEntry], **kwargs: Any) -> None:
    outbound.wake()


@receiver(work_queue.claims_released, sender=SyncRequest, dispatch_uid="inbound.released")
def sync_released(sender: type[SyncRequest], **kwargs: Any) -> None:
    sync_requests.wake()


@receiver(work_queue.claims_released, sender=SubscriptionRequest, dispatch_uid="subscribe.released")
def subscribe_released(sender: type[SubscriptionRequest], **kwargs: Any) -> None:
    subscriptions.wake()

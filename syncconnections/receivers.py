"""How the Microsoft 365 integration hears about bookings (bookings.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from bookings import signals
from bookings.models import Reservation, ReservationSeries
from syncconnections import outbound


@receiver(signals.reservation_created, sender=Reservation, dispatch_uid="outbound.created")
@receiver(signals.reservation_changed, sender=Reservation, dispatch_uid="outbound.changed")
def push_reservation(sender: type[Reservation], reservation: Reservation, **kwargs: Any) -> None:
    if outbound.wants_push(reservation):
        outbound.queue([reservation.pk])


@receiver(signals.reservation_deleted, sender=Reservation, dispatch_uid="outbound.deleted")
def remove_reservation(sender: type[Reservation], reservation: Reservation, **kwargs: Any) -> None:
    outbound.forget_reservation(reservation)


@receiver(signals.series_completed, sender=ReservationSeries, dispatch_uid="outbound.series")
def push_series(sender: type[ReservationSeries], series: ReservationSeries, **kwargs: Any) -> None:
    occurrences = list(series.occurrences.all())
    if occurrences and outbound.wants_push(occurrences[0]):
        outbound.queue([o.pk for o in occurrences])

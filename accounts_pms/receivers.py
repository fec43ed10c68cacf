"""How the PMS integration hears about bookings: a reservation reaching the start or end
status queues a job, in the transaction of the change (admin, API and inbound sync alike)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django_q.tasks import async_task

from accounts_pms import tasks
from accounts_pms.models import StayNTouchSettings
from bookings import signals
from bookings.models import Reservation


@receiver(signals.reservation_status_changed, sender=Reservation, dispatch_uid="pms.status")
def status_changed(
    sender: type[Reservation], reservation: Reservation, new_status: str, **kwargs: Any
) -> None:
    if not reservation.account_id:  # only reservations of a company go to the PMS
        return
    stayntouch = StayNTouchSettings.sending()
    if stayntouch is None:
        return
    if new_status in (stayntouch.start_status, stayntouch.end_status):
        _send(reservation, new_status)


@receiver(signals.reservations_created, sender=Reservation, dispatch_uid="pms.new")
def created_in_status(
    sender: type[Reservation], reservations: list[Reservation], **kwargs: Any
) -> None:
    """New reservations count as having reached their status (one settings read a batch)."""
    of_companies = [r for r in reservations if r.account_id]
    stayntouch = StayNTouchSettings.sending() if of_companies else None
    if stayntouch is None:
        return
    for reservation in of_companies:
        if reservation.status in (stayntouch.start_status, stayntouch.end_status):
            _send(reservation, reservation.status)


def _send(reservation: Reservation, status: str) -> None:
    async_task(
        tasks.status_reached,
        reservation.pk,
        task_name=f"StayNTouch: {status} reached by reservation {reservation.pk}",
    )

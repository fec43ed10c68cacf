"""How cancellation requests hear of Outlook's cancellations (syncconnections.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from bookings.models import Reservation
from cancellations.opening import open_request
from syncconnections import signals
from syncconnections.models import SyncConnection


@receiver(signals.outlook_cancellation, dispatch_uid="cancellations.open")
def ask_a_person(
    sender: object,
    reservation: Reservation,
    connection: SyncConnection,
    event_id: str,
    outlook_data: dict,
    **kwargs: Any,
) -> bool:
    return open_request(reservation, connection, event_id, outlook_data)

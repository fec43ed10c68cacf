"""Opening a cancellation request: the one way a request comes to be."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from bookings.models import Reservation
from cancellations.models import CancellationRequest, Decision, snapshot
from syncconnections.models import SyncConnection


def open_request(
    reservation: Reservation, connection: SyncConnection, event_id: str, outlook_data: dict
) -> bool:
    """Ask a person whether to cancel the reservation whose Outlook event was cancelled;
    False when the event already waits for a decision. The partial unique index (one pending
    request per event) decides, not a look beforehand: a second Sync Down of the same
    calendar at the same moment opens nothing more."""
    try:
        with transaction.atomic():
            CancellationRequest.objects.create(
                reservation=reservation,
                sync_connection=connection,
                outlook_event_id=event_id,
                outlook_data=outlook_data,
                reservation_snapshot=snapshot(reservation),
            )
    except IntegrityError:
        if CancellationRequest.objects.filter(
            outlook_event_id=event_id, state=Decision.PENDING
        ).exists():
            return False
        raise
    return True

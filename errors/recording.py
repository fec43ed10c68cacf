from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.utils import timezone

from errors.models import Operation, SyncError

if TYPE_CHECKING:
    from bookings.models import Reservation
    from syncconnections.models import SyncConnection

logger = logging.getLogger(__name__)


def record(
    *,
    operation: Operation | str,
    stage: str,
    message: str,
    connection: SyncConnection | None = None,
    reservation: Reservation | None = None,
    status_code: int | None = None,
    request_id: str = "",
) -> SyncError:
    """Save a SyncError row (and log it) for a failed step of a sync operation."""
    error = SyncError.objects.create(
        operation=Operation(operation),
        stage=stage,
        error_message=message,
        sync_connection=connection,
        reservation=reservation,
        status_code=status_code,
        request_id=request_id,
    )
    logger.warning(
        "sync error %s: %s at %s (status %s, connection %s, request-id %s): %s",
        error.pk,
        error.get_operation_display(),
        stage,
        status_code,
        connection.pk if connection else None,
        request_id or "-",
        message,
    )
    return error


def resolve(operation: Operation | str, connection: SyncConnection) -> int:
    """Mark the connection's open errors of this operation resolved: it has just succeeded."""
    return SyncError.objects.filter(
        sync_connection=connection, operation=Operation(operation), resolved=False
    ).update(resolved=True, resolved_at=timezone.now())

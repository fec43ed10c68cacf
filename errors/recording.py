from __future__ import annotations

import logging

from django.db import models
from django.utils import timezone

from bookings.models import Reservation
from common.http_client import TransportError
from errors.models import Operation, SyncError

logger = logging.getLogger(__name__)


def record(
    *,
    operation: Operation | str,
    stage: str,
    error: TransportError | None = None,
    message: str | None = None,
    connection: models.Model | None = None,
    reservation: Reservation | None = None,
    status_code: int | None = None,
    request_id: str = "",
) -> SyncError:
    """Save a SyncError row (and log it) for a failed step of a sync operation: the failed
    call's `error` gives the status, request-id and (unless `message` says more) message."""
    if error is not None:
        status_code, request_id = error.status, error.request_id
        message = error.message if message is None else message
    if message is None:
        raise TypeError("record() needs a message or the failed call's error")
    saved = SyncError.objects.create(
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
        saved.pk,
        saved.get_operation_display(),
        stage,
        status_code,
        connection.pk if connection else None,
        request_id or "-",
        message,
    )
    return saved


def resolve(operation: Operation | str, connection: models.Model) -> int:
    """Mark the connection's open errors of this operation resolved: it has just succeeded."""
    return SyncError.objects.filter(
        sync_connection=connection, operation=Operation(operation), resolved=False
    ).update(resolved=True, resolved_at=timezone.now())

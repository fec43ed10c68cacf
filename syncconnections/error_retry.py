"""Retrying sync errors: re-run the operation that failed, in the background.

Used by the sync error admin's "Retry" and by the API; both say the same thing afterwards.
An error is marked resolved when its operation next succeeds, not when it is retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from errors.models import Operation, SyncError
from syncconnections import connection_setup, outbound
from syncconnections.inbound import subscriptions
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import SyncConnection

RESERVATION_OPERATIONS = {Operation.CREATE, Operation.UPDATE, Operation.DELETE}
# Operations that are re-run for the whole connection rather than for one reservation.
CONNECTION_OPERATIONS = {
    Operation.CONNECTION_SETUP,
    Operation.SYNC_DOWN,
    Operation.SUBSCRIPTION_REFRESH,
}


@dataclass
class RetryResult:
    """The ids of the errors whose operation runs again, and of those left alone."""

    retried: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    @property
    def retried_message(self) -> str:
        return (
            f"Retrying {len(self.retried)} error(s); each is marked "
            "resolved when its operation succeeds."
        )

    @property
    def skipped_message(self) -> str:
        return (
            f"Not retried: {len(self.skipped)} error(s) already resolved "
            "or with nothing to run again here."
        )

    @property
    def messages(self) -> list[str]:
        """What to tell the person who asked, in the admin's order."""
        return [
            *([self.retried_message] if self.retried else []),
            *([self.skipped_message] if self.skipped else []),
        ]


def retry_errors(queryset: QuerySet[SyncError]) -> RetryResult:
    """Run the failed operations again; resolved errors and those with nothing to re-run
    (no connection or reservation) are skipped. Each operation is queued once, however many
    errors it failed with."""
    result = RetryResult()
    reservations: set[int] = set()
    connections: dict[tuple[str, int], SyncConnection] = {}
    for error in queryset.select_related("sync_connection").order_by("pk"):
        if error.resolved:
            result.skipped.append(error.pk)
        elif error.operation in CONNECTION_OPERATIONS and error.sync_connection:
            connections[(error.operation, error.sync_connection_id)] = error.sync_connection
            result.retried.append(error.pk)
        elif error.operation in RESERVATION_OPERATIONS and error.reservation_id:
            reservations.add(error.reservation_id)
            result.retried.append(error.pk)
        else:
            result.skipped.append(error.pk)
    outbound.queue(reservations)
    for (operation, _), connection in connections.items():
        rerun(operation, connection)
    SyncError.objects.filter(pk__in=result.retried).update(
        retry_count=F("retry_count") + 1, last_retried_at=timezone.now()
    )
    return result


def rerun(operation: str, connection: SyncConnection) -> None:
    """Run a connection's failed operation again, in the background."""
    if operation == Operation.CONNECTION_SETUP:
        connection_setup.request_validation(connection)
    elif operation == Operation.SYNC_DOWN:
        request_sync([connection.pk], reason="retry")
    else:
        async_task(
            subscriptions.renew_job,
            connection.pk,
            task_name=f"Renew the subscription of {connection}",
        )

"""Sync errors get a "Retry" here: the errors app records failures, this app re-runs them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_q.tasks import async_task

from config.admin_helpers import ObjectActionsMixin
from errors.admin import SyncErrorAdmin as BaseSyncErrorAdmin
from errors.models import Operation, SyncError
from syncconnections import outbound, validation
from syncconnections.inbound.requests import request_sync
from syncconnections.models import SyncConnection

admin.site.unregister(SyncError)

RESERVATION_OPERATIONS = {Operation.CREATE, Operation.UPDATE, Operation.DELETE}
# Operations that are re-run for the whole connection rather than for one reservation.
CONNECTION_OPERATIONS = {
    Operation.CONNECTION_SETUP,
    Operation.SYNC_DOWN,
    Operation.SUBSCRIPTION_REFRESH,
}


@admin.register(SyncError)
class SyncErrorAdmin(ObjectActionsMixin, BaseSyncErrorAdmin):
    actions = ("retry",)
    object_actions = ("retry",)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("errors.retry_syncerror")

    @admin.action(description="Retry", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[SyncError]) -> None:
        """Run the failed operation again; it is marked resolved when it succeeds."""
        retried, skipped = [], []
        reservations, connections = set(), {}
        for error in queryset.select_related("sync_connection"):
            if error.resolved:
                skipped.append(error)
            elif error.operation in CONNECTION_OPERATIONS and error.sync_connection:
                connections[(error.operation, error.sync_connection_id)] = error.sync_connection
                retried.append(error.pk)
            elif error.operation in RESERVATION_OPERATIONS and error.reservation_id:
                reservations.add(error.reservation_id)
                retried.append(error.pk)
            else:
                skipped.append(error)
        outbound.queue(reservations)
        for (operation, _), connection in connections.items():
            rerun(operation, connection)
        SyncError.objects.filter(pk__in=retried).update(
            retry_count=F("retry_count") + 1, last_retried_at=timezone.now()
        )
        if retried:
            self.message_user(
                request,
                f"Retrying {len(retried)} error(s); each is marked "
                "resolved when its operation succeeds.",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"Not retried: {len(skipped)} error(s) already resolved "
                "or with nothing to run again here.",
                messages.WARNING,
            )


def rerun(operation: str, connection: SyncConnection) -> None:
    """Run a connection's failed operation again, in the background."""
    if operation == Operation.CONNECTION_SETUP:
        validation.request_validation(connection)
    elif operation == Operation.SYNC_DOWN:
        request_sync([connection.pk], reason="retry")
    else:
        async_task(
            "syncconnections.tasks.renew_subscription",
            connection.pk,
            task_name=f"Renew the subscription of {connection}",
        )

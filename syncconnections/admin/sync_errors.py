"""Sync errors get a "Retry" here: the errors app records failures, this app re-runs them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from config.admin_helpers import ObjectActionsMixin
from errors.admin import SyncErrorAdmin as BaseSyncErrorAdmin
from errors.models import Operation, SyncError
from syncconnections import outbound, validation

admin.site.unregister(SyncError)

RETRYABLE = {Operation.CONNECTION_SETUP, Operation.CREATE, Operation.UPDATE, Operation.DELETE}


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
        reservations = set()
        for error in queryset.select_related("sync_connection"):
            if error.resolved or error.operation not in RETRYABLE:
                skipped.append(error)
            elif error.operation == Operation.CONNECTION_SETUP and error.sync_connection:
                validation.request_validation(error.sync_connection)
                retried.append(error.pk)
            elif error.reservation_id:
                reservations.add(error.reservation_id)
                retried.append(error.pk)
            else:
                skipped.append(error)
        outbound.queue(reservations)
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

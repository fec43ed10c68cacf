"""Sync errors get a "Retry" here: the errors app records failures, this app re-runs them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin_helpers import ObjectActionsMixin
from errors.admin import SyncErrorAdmin as BaseSyncErrorAdmin
from errors.models import SyncError
from syncconnections.error_retry import retry_errors

admin.site.unregister(SyncError)


@admin.register(SyncError)
class SyncErrorAdmin(ObjectActionsMixin, BaseSyncErrorAdmin):
    actions = ("retry",)
    object_actions = ("retry",)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("errors.retry_syncerror")

    @admin.action(description="Retry", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[SyncError]) -> None:
        """Run the failed operation again; it is marked resolved when it succeeds."""
        result = retry_errors(queryset)
        if result.retried:
            self.message_user(request, result.retried_message, messages.SUCCESS)
        if result.skipped:
            self.message_user(request, result.skipped_message, messages.WARNING)

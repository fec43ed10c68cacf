"""Read-only views of inbound sync: pending sync and subscription requests, and ignored
notifications."""

from __future__ import annotations

from django.contrib import admin

from common.admin_helpers import ReadOnlyAdmin
from syncconnections.models import IgnoredNotification, SubscriptionRequest, SyncRequest


@admin.register(SyncRequest)
class SyncRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "sync_connection",
        "reason",
        "requested_at",
        "attempts",
        "not_before",
        "claimed_at",
    )
    list_select_related = ("sync_connection",)
    ordering = ("requested_at",)


@admin.register(SubscriptionRequest)
class SubscriptionRequestAdmin(ReadOnlyAdmin):
    list_display = ("sync_connection", "requested_at", "attempts", "not_before", "claimed_at")
    list_select_related = ("sync_connection",)
    ordering = ("requested_at",)


@admin.register(IgnoredNotification)
class IgnoredNotificationAdmin(ReadOnlyAdmin):
    list_display = ("reason", "count", "last_at", "last_subscription_id")

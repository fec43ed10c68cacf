"""Read-only views of what outbound sync knows: events made in Outlook, and its queue."""

from __future__ import annotations

from django.contrib import admin

from common.admin_helpers import ReadOnlyAdmin, pretty_json
from syncconnections.models import OutboxEntry, OutlookEvent


@admin.register(OutlookEvent)
class OutlookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "event_id",
        "kind",
        "reservation",
        "series",
        "sync_connection",
        "update_count",
        "updated_at",
    )
    list_filter = ("kind",)
    list_select_related = ("reservation", "series", "sync_connection")
    search_fields = ("event_id__exact", "ical_uid__exact")
    show_full_result_count = False
    fields = (
        "sync_connection",
        "kind",
        "reservation",
        "series",
        "event_id",
        "ical_uid",
        "change_key",
        "pushed_display",
        "update_window_start",
        "update_count",
        "updates_stopped_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="fields as last sent to Outlook")
    def pushed_display(self, obj: OutlookEvent) -> str:
        return pretty_json(obj.pushed)


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    list_display = ("reservation", "queued_at", "attempts", "not_before", "claimed_at")
    list_select_related = ("reservation",)
    ordering = ("queued_at",)

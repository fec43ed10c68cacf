from django.contrib import admin
from django.template.defaultfilters import truncatechars
from rangefilter.filters import DateRangeFilterBuilder

from config.admin_helpers import ReadOnlyAdmin
from errors.models import SyncError


@admin.register(SyncError)
class SyncErrorAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "operation",
        "stage",
        "status_code",
        "short_message",
        "sync_connection",
        "reservation",
        "resolved",
    )
    list_filter = (
        "operation",
        "resolved",
        "status_code",
        ("created_at", DateRangeFilterBuilder(title="date")),
        "sync_connection",
    )
    list_select_related = ("sync_connection", "reservation")
    search_fields = ("=request_id", "stage")
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = (
        "created_at",
        "operation",
        "stage",
        "status_code",
        "error_message",
        "request_id",
        "sync_connection",
        "reservation",
        "retry_count",
        "last_retried_at",
        "resolved",
        "resolved_at",
        "notified_at",
    )
    readonly_fields = fields

    @admin.display(description="error message")
    def short_message(self, obj: SyncError) -> str:
        return truncatechars(obj.error_message, 80)

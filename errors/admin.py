from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.utils import timezone
from rangefilter.filters import DateRangeFilterBuilder

from common.admin_helpers import ReadOnlyAdmin
from errors.models import SyncError


class StatusCodeFilter(admin.SimpleListFilter):
    """Fixed choices: listing the distinct codes would scan the whole table."""

    title = "status code"
    parameter_name = "status"
    RANGES = {
        "none": ("No HTTP status", None),
        "429": ("429 throttled", (429, 430)),
        "4xx": ("Other 4xx", (400, 500)),
        "5xx": ("5xx", (500, 600)),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.RANGES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in self.RANGES:
            return queryset
        bounds = self.RANGES[self.value()][1]
        if bounds is None:
            return queryset.filter(status_code__isnull=True)
        low, high = bounds
        queryset = queryset.filter(status_code__gte=low, status_code__lt=high)
        return queryset.exclude(status_code=429) if self.value() == "4xx" else queryset


class RecentFilter(admin.SimpleListFilter):
    """Exact rolling windows (the date range filter works in whole days)."""

    title = "recent"
    parameter_name = "recent"
    WINDOWS = {"24h": ("Last 24 hours", timedelta(hours=24)), "7d": ("Last 7 days", timedelta(7))}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.WINDOWS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in self.WINDOWS:
            return queryset
        return queryset.filter(created_at__gte=timezone.now() - self.WINDOWS[self.value()][1])


@admin.register(SyncError)
class SyncErrorAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "operation",
        "stage",
        "status_code",
        "short_message",
        "resolved",
        "sync_connection",
        "reservation",
    )
    list_filter = (
        "operation",
        "resolved",
        StatusCodeFilter,
        RecentFilter,
        ("created_at", DateRangeFilterBuilder(title="date")),
        "sync_connection",
    )
    list_select_related = ("sync_connection", "reservation")
    search_fields = ("request_id__exact", "stage")
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

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from rangefilter.filters import DateRangeFilterBuilder

from config.admin_helpers import ReadOnlyAdmin, is_changelist, pretty_json
from syncconnections.models import CompanyLogEntry


@admin.register(CompanyLogEntry)
class CompanyLogEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "operation",
        "mailbox",
        "organizer_email",
        "subject",
        "start",
        "end",
        "reservation",
    )
    list_filter = (
        "operation",
        ("created_at", DateRangeFilterBuilder(title="date")),
        "sync_connection",
    )
    list_select_related = ("reservation", "sync_connection")
    search_fields = ("organizer_email", "mailbox", "attendee_emails", "subject", "event_id")
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = (
        "created_at",
        "operation",
        "sync_connection",
        "mailbox",
        "organizer_email",
        "attendee_emails",
        "subject",
        "start",
        "end",
        "event_id",
        "reservation",
        "outlook_data_display",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompanyLogEntry]:
        queryset = super().get_queryset(request)
        return queryset.defer("outlook_data") if is_changelist(request) else queryset

    @admin.display(description="original Outlook data")
    def outlook_data_display(self, obj: CompanyLogEntry) -> str:
        return pretty_json(obj.outlook_data)

"""The company log: read-only, searched and filtered at millions of rows (docs/company-log.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Field, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from rangefilter.filters import DateRangeFilterBuilder

from common.admin_helpers import ReadOnlyAdmin, is_changelist, pretty_json
from common.admin_pagination import CappedCountPaginator
from syncconnections import company_log
from syncconnections.models import CompanyLogEntry, SyncConnection


class ConnectionFilter(admin.RelatedFieldListFilter):
    """The sync connections by mailbox, loading only what their names need (the whole row
    would decrypt each connection's subscription secret for nothing)."""

    def field_choices(
        self, field: Field, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[Any, str]]:
        connections = SyncConnection.objects.only("pk", "user_id", "calendar_name")
        return [(c.pk, str(c)) for c in connections.order_by("user_id", "calendar_name")]


@admin.register(CompanyLogEntry)
class CompanyLogEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "operation",
        "mailbox",
        "organizer_email",
        "subject",
        "when",
        "reservation_link",
    )
    list_filter = (
        "operation",
        ("created_at", DateRangeFilterBuilder(title="date")),
        ("sync_connection", ConnectionFilter),
    )
    # No join: the reservation column links by id, subject and time being in the row already.
    list_select_related = False
    # What is searched; get_search_results says how (syncconnections.company_log.search).
    search_fields = (
        "organizer_email",
        "mailbox",
        "attendee_emails",
        "subject",
        "event_id__exact",
    )
    search_help_text = (
        "A whole e-mail address finds the entries it organised, attended or came from; any "
        "other word finds part of an address or of the subject, or a whole Outlook event id."
    )
    ordering = ("-created_at",)
    # Other orders and the facet counts ("Show counts": a COUNT per filter choice) would each
    # read the whole table.
    sortable_by = ("created_at",)
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
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

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CompanyLogEntry], search_term: str
    ) -> tuple[QuerySet[CompanyLogEntry], bool]:
        return company_log.search(queryset, search_term), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompanyLogEntry]:
        queryset = super().get_queryset(request)
        return queryset.defer("outlook_data") if is_changelist(request) else queryset

    @admin.display(description="when")
    def when(self, obj: CompanyLogEntry) -> str:
        """The meeting's start and end in one column, the end's date only when it differs."""
        if obj.start is None:
            return "—"
        start = timezone.localtime(obj.start)
        text = f"{formats.date_format(start, 'DATE_FORMAT')}, {formats.time_format(start)}"
        if obj.end is None:
            return text
        end = timezone.localtime(obj.end)
        if end.date() != start.date():
            return f"{text} – {formats.date_format(end, 'DATE_FORMAT')}, {formats.time_format(end)}"
        return f"{text}–{formats.time_format(end)}"

    @admin.display(description="reservation")
    def reservation_link(self, obj: CompanyLogEntry) -> str:
        if obj.reservation_id is None:
            return "—"
        url = reverse("admin:bookings_reservation_change", args=[obj.reservation_id])
        return format_html('<a href="{}">#{}</a>', url, obj.reservation_id)

    @admin.display(description="original Outlook data")
    def outlook_data_display(self, obj: CompanyLogEntry) -> str:
        return pretty_json(obj.outlook_data)

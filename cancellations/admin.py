from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.http import HttpRequest

from cancellations.models import CancellationRequest
from config.admin_helpers import is_changelist, pretty_json


@admin.register(CancellationRequest)
class CancellationRequestAdmin(admin.ModelAdmin):
    """Requests are made by the sync; people only decide them."""

    list_display = (
        "reservation",
        "resource",
        "organizer",
        "created_at",
        "external_state",
        "state",
        "decided_by",
        "decided_at",
    )
    list_filter = ("state",)
    list_select_related = ("reservation__resource__location", "decided_by")
    search_fields = ("reservation__title", "outlook_event_id__exact")
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = (
        "reservation",
        "sync_connection",
        "external_state",
        "outlook_event_id",
        "state",
        "created_at",
        "decided_by",
        "decided_at",
        "outlook_data_display",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CancellationRequest]:
        queryset = super().get_queryset(request)
        if is_changelist(request):  # the list needs one field of the Outlook data, not all
            queryset = queryset.annotate(
                _organizer=KT("outlook_data__organizer__emailAddress__address")
            ).defer("outlook_data")
        return queryset

    @admin.display(description="resource", ordering="reservation__resource__name")
    def resource(self, obj: CancellationRequest) -> str:
        return str(obj.reservation.resource)

    @admin.display(description="Outlook organizer")
    def organizer(self, obj: CancellationRequest) -> str:
        return getattr(obj, "_organizer", None) or "—"

    @admin.display(description="original Outlook data")
    def outlook_data_display(self, obj: CancellationRequest) -> str:
        return pretty_json(obj.outlook_data)

"""Conflicts with Outlook: made by the push and Sync Down; back office decides them (keep
ours, or give way, with a reason); support reads them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Case, QuerySet, Value, When
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from bookings.times import shown_in
from common.admin_helpers import ObjectActionsMixin, ReadOnlyAdmin, pretty_json
from syncconnections import conflict_decisions, room_conflicts
from syncconnections.models import ConflictState, OutlookConflict


@admin.register(OutlookConflict)
class OutlookConflictAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    list_display = (
        "reservation",
        "room",
        "outlook_meeting",
        "outlook_time",
        "organizer_email",
        "state",
        "created_at",
        "decided_by",
    )
    list_filter = ("state", "origin")
    list_select_related = (
        "reservation__resource__location",
        "decided_by",
        "sync_connection__tenant",
    )
    search_fields = ("reservation__title", "subject", "event_id__exact")
    # Open first (served by the (state, created_at) index for the usual filtered view).
    ordering = (
        Case(When(state=ConflictState.OPEN, then=Value(0)), default=Value(1)).asc(),
        "-created_at",
    )
    show_full_result_count = False
    actions = ("keep_ours", "give_way")
    object_actions = ("keep_ours", "give_way")
    fields = (
        "summary",
        "reservation",
        "sync_connection",
        "origin",
        "subject",
        "organizer_email",
        "outlook_time",
        "event_id",
        "state",
        "created_at",
        "decided_by",
        "decided_at",
        "reason",
        "outlook_data_display",
    )
    readonly_fields = fields

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("syncconnections.decide_outlookconflict")

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutlookConflict]:
        return (
            super()
            .get_queryset(request)
            .select_related("reservation__resource__location", "sync_connection__tenant")
        )

    def object_action_applies(self, obj: OutlookConflict, name: str) -> bool:
        return obj.is_open

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Keep ours (decline the Outlook meeting)", permissions=["decide"])
    def keep_ours(self, request: HttpRequest, queryset: QuerySet[OutlookConflict]) -> Any:
        return self._decide(request, queryset, "keep_ours", conflict_decisions.keep_ours)

    @admin.action(description="Give way (cancel our reservation)", permissions=["decide"])
    def give_way(self, request: HttpRequest, queryset: QuerySet[OutlookConflict]) -> Any:
        return self._decide(request, queryset, "give_way", conflict_decisions.give_way)

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[OutlookConflict], name: str, decide: Any
    ) -> Any:
        """Asks for the reason first (sent to the organizer, or kept with the reservation)."""
        selected = list(queryset.order_by("pk"))
        if request.POST.get("post") != "yes":
            return TemplateResponse(
                request,
                "admin/syncconnections/outlookconflict/decide.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": dict(self.allowed_object_actions(request))[name],
                    "action": name,
                    "reason_required": name == "give_way",
                    "rows": [(c, room_conflicts.describe(c)) for c in selected],
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                },
            )
        reason = request.POST.get("reason", "")
        for conflict in selected:
            try:
                self.message_user(request, decide(conflict, request.user, reason), messages.SUCCESS)
            except conflict_decisions.DecisionRefused as exc:
                self.message_user(request, f"#{conflict.pk}: {exc}", messages.ERROR)
        return None

    # --- display -------------------------------------------------------------------------------

    @admin.display(description="conflict")
    def summary(self, obj: OutlookConflict) -> str:
        return room_conflicts.describe(obj)

    @admin.display(description="room", ordering="reservation__resource__name")
    def room(self, obj: OutlookConflict) -> str:
        return obj.reservation.resource.name

    @admin.display(description="Outlook meeting", ordering="subject")
    def outlook_meeting(self, obj: OutlookConflict) -> str:
        return obj.subject or "(no subject)"

    @admin.display(description="Outlook time", ordering="start")
    def outlook_time(self, obj: OutlookConflict) -> SafeString:
        zone = obj.reservation.resource.location.time_zone
        return format_html("{} – {}", shown_in(obj.start, zone), shown_in(obj.end, zone))

    @admin.display(description="original Outlook data")
    def outlook_data_display(self, obj: OutlookConflict) -> str:
        return pretty_json(obj.outlook_data)

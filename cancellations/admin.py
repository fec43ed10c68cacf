from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Case, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html_join

from bookings.models import ReservationStatus
from bookings.times import shown_in
from cancellations import decisions
from cancellations.models import CancellationRequest, Decision
from common.admin_helpers import ObjectActionsMixin, is_changelist, pretty_json
from syncconnections import google_events, providers
from syncconnections.payloads import times_from_graph

# Each status check is a Graph call made while the person waits.
MAX_STATUS_CHECKS = 20


@admin.register(CancellationRequest)
class CancellationRequestAdmin(ObjectActionsMixin, admin.ModelAdmin):
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
    # Pending first (served by the (state, created_at) index for the usual filtered view).
    ordering = (
        Case(When(state=Decision.PENDING, then=Value(0)), default=Value(1)).asc(),
        "-created_at",
    )
    show_full_result_count = False
    actions = ("approve", "keep", "get_status_info")
    object_actions = ("approve", "keep", "get_status_info")
    fields = (
        "reservation",
        "sync_connection",
        "external_state",
        "outlook_event_id",
        "state",
        "created_at",
        "decided_by",
        "decided_at",
        "reservation_snapshot_display",
        "outlook_data_display",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cancellations.approve_cancellationrequest")

    def has_reject_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cancellations.reject_cancellationrequest")

    def has_get_status_info_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cancellations.get_status_info_cancellationrequest")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CancellationRequest]:
        queryset = super().get_queryset(request)
        if is_changelist(request):  # the list needs one field of the Outlook data, not all
            queryset = queryset.annotate(
                _organizer=KT("outlook_data__organizer__emailAddress__address")
            ).defer("outlook_data", "reservation_snapshot")
        return queryset

    def object_action_applies(self, obj: CancellationRequest, name: str) -> bool:
        return obj.is_pending or name == "get_status_info"

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Cancel the reservation (approve)", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> Any:
        """Asks first, listing what will be cancelled; then decides each request."""
        selected = list(queryset.select_related("reservation__resource").order_by("pk"))
        if request.POST.get("post") != "yes":
            return self._confirm_approval(request, selected)
        despite = set(request.POST.getlist("despite_changes"))
        for cancellation in selected:
            outcome = decisions.approve(
                cancellation, request.user, despite_changes=str(cancellation.pk) in despite
            )
            self._tell(request, outcome)
        return None

    @admin.action(description="Keep the reservation (reject)", permissions=["reject"])
    def keep(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> None:
        for cancellation in queryset.select_related("sync_connection__tenant").order_by("pk"):
            self._tell(request, decisions.keep(cancellation, request.user))

    @admin.action(description="Get status info from Outlook", permissions=["get_status_info"])
    def get_status_info(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> Any:
        selected = list(
            queryset.select_related(
                "reservation__resource__location", "sync_connection__tenant"
            ).order_by("pk")[: MAX_STATUS_CHECKS + 1]
        )
        if len(selected) > MAX_STATUS_CHECKS:
            self.message_user(
                request,
                f"Select at most {MAX_STATUS_CHECKS} requests: each is looked up in Outlook "
                "while you wait.",
                messages.ERROR,
            )
            return None
        return TemplateResponse(
            request,
            "admin/cancellations/cancellationrequest/status_info.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Status in Outlook",
                "results": [_status_row(decisions.status_info(c)) for c in selected],
                # The decisions offered beside each pending request, as on its own page.
                "decisions": [
                    (name, label)
                    for name, label in self.allowed_object_actions(request)
                    if name != "get_status_info"
                ],
            },
        )

    def _confirm_approval(self, request: HttpRequest, selected: list[CancellationRequest]) -> Any:
        rows = [
            {
                "request": c,
                "changes": decisions.changes_since_detection(c, c.reservation)
                if c.is_pending
                else [],
            }
            for c in selected
        ]
        return TemplateResponse(
            request,
            "admin/cancellations/cancellationrequest/approve_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Cancel these reservations?",
                "rows": rows,
                "pending": [row for row in rows if row["request"].is_pending],
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def _tell(self, request: HttpRequest, outcome: decisions.Outcome) -> None:
        level = messages.SUCCESS if outcome.done else messages.WARNING
        self.message_user(request, outcome.message, level)

    # --- display -------------------------------------------------------------------------------

    @admin.display(description="resource", ordering="reservation__resource__name")
    def resource(self, obj: CancellationRequest) -> str:
        return str(obj.reservation.resource)

    @admin.display(description="Outlook organizer")
    def organizer(self, obj: CancellationRequest) -> str:
        return getattr(obj, "_organizer", None) or "—"

    @admin.display(description="original Outlook data")
    def outlook_data_display(self, obj: CancellationRequest) -> str:
        return pretty_json(obj.outlook_data)

    @admin.display(description="reservation when detected")
    def reservation_snapshot_display(self, obj: CancellationRequest) -> str:
        detected = _detected(obj)
        if not detected:
            return "—"
        return format_html_join(
            "",
            '<div class="bb-snapshot-row"><span>{}</span> {}</div>',
            ((label, value) for label, value in detected.items()),
        )


def _zone(request: CancellationRequest) -> str:
    return request.reservation.resource.location.time_zone


def _detected(request: CancellationRequest) -> dict[str, str]:
    """The reservation as it was when the cancellation was detected, for people."""
    remembered = request.reservation_snapshot or {}
    if not remembered:
        return {}
    zone = _zone(request)

    def moment(name: str) -> str:
        value = remembered.get(name)
        return shown_in(dt.datetime.fromisoformat(value) if value else None, zone)

    return {
        "Title": remembered.get("title") or "—",
        "Start": moment("start"),
        "End": moment("end"),
        "Status": str(dict(ReservationStatus.choices).get(remembered.get("status"), "—")),
    }


def _status_row(info: decisions.StatusInfo) -> dict[str, Any]:
    event = info.event or {}
    request = info.request
    zone = _zone(request)
    start = end = None
    if event.get("start") and event.get("end"):
        start, end = (google_events.times if info.google else times_from_graph)(event, zone)
    if info.google:
        subject, organizer = event.get("summary", ""), (event.get("organizer") or {}).get("email")
        modified = parse_datetime(event.get("updated") or "")
    else:
        subject = event.get("subject", "")
        organizer = ((event.get("organizer") or {}).get("emailAddress") or {}).get("address")
        modified = parse_datetime(event.get("lastModifiedDateTime") or "")
    return {
        "request": request,
        "time_zone": zone,
        "detected": _detected(request),
        "detected_at": shown_in(request.created_at, zone),
        "reservation_start": shown_in(request.reservation.start, zone),
        "reservation_end": shown_in(request.reservation.end, zone),
        "calendar": (providers.GOOGLE if info.google else providers.MICROSOFT).name,
        "deleted": info.deleted,
        "error": info.error,
        "event": info.event,
        "cancelled": info.outlook_state == "cancelled",
        "subject": subject,
        "start": shown_in(start, zone),
        "end": shown_in(end, zone),
        "organizer": organizer or "",
        "last_modified": shown_in(modified, zone),
        "data": pretty_json(info.event) if info.event else "",
    }

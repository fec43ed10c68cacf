"""Conflicts with Outlook: read them, keep ours, give way (syncconnections/conflict_decisions.py,
as in the admin). A decision that cannot be made is a 409 saying why."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, QuerySet, Value, When
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, ErrorSerializer
from api.filters import FilteredListMixin, ListFilters
from syncconnections import conflict_decisions, room_conflicts
from syncconnections.models import ConflictState, OutlookConflict


class OutlookConflictSerializer(serializers.ModelSerializer):
    found_at = serializers.DateTimeField(source="created_at", read_only=True)
    description = serializers.SerializerMethodField(help_text="The conflict, for a person.")
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who decided it."
    )

    class Meta:
        model = OutlookConflict
        fields = (
            "id",
            "reservation",
            "sync_connection",
            "origin",
            "description",
            "event_id",
            "subject",
            "organizer_email",
            "start",
            "end",
            "state",
            "found_at",
            "decided_by",
            "decided_at",
            "reason",
        )
        read_only_fields = fields

    def get_description(self, obj: OutlookConflict) -> str:
        return room_conflicts.describe(obj)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Keep ours: the message to the meeting's organizer (optional). Give way: "
        "why the reservation is cancelled (required).",
    )


class ConflictDecisionSerializer(serializers.Serializer):
    message = serializers.CharField()
    conflict = OutlookConflictSerializer()


class ConflictFilters(ListFilters):
    state = serializers.ChoiceField(choices=ConflictState.choices, required=False)
    reservation = serializers.IntegerField(required=False, min_value=1)

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        return queryset.filter(**values)


@extend_schema_view(
    list=extend_schema(
        summary="List conflicts with Outlook",
        description="Open ones first, then the decided, newest first.",
        parameters=[ConflictFilters],
    ),
    retrieve=extend_schema(summary="Read a conflict with Outlook"),
)
class OutlookConflictViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Outlook meetings in the way of a reservation: while open, the reservation is not sent
    to that room's calendar."""

    serializer_class = OutlookConflictSerializer
    filters = ConflictFilters
    action_permissions = {
        "keep_ours": ["syncconnections.decide_outlookconflict"],
        "give_way": ["syncconnections.decide_outlookconflict"],
    }

    def get_queryset(self) -> QuerySet[OutlookConflict]:
        open_first = Case(When(state=ConflictState.OPEN, then=Value(0)), default=Value(1))
        return (
            OutlookConflict.objects.select_related(
                "reservation__resource__location", "decided_by", "sync_connection__tenant"
            )
            .defer("outlook_data")
            .order_by(open_first.asc(), "-created_at", "-pk")
        )

    def _decide(self, request: Request, decide: Any) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conflict = self.get_object()
        try:
            message = decide(conflict, request.user, body.validated_data.get("reason", ""))
        except conflict_decisions.DecisionRefused as exc:
            raise Conflict(str(exc)) from exc
        result = {"message": message, "conflict": self.get_object()}
        return Response(
            ConflictDecisionSerializer(result, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Keep ours: decline the Outlook meeting",
        operation_id="outlook_conflicts_keep_ours",
        description="Declines the meeting in the room's calendar (cancels it when the room "
        "organizes it) with the reason as the message to its organizer, then sends the "
        "reservation. Refused (409) when the tenant's sync mode does not write to Outlook, "
        "when Graph refuses, or when the conflict was decided already.",
        request=ReasonSerializer,
        responses={200: ConflictDecisionSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="keep-ours")
    def keep_ours(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, conflict_decisions.keep_ours)

    @extend_schema(
        summary="Give way: cancel our reservation",
        operation_id="outlook_conflicts_give_way",
        description="Cancels the reservation with the reason; a meeting that arrived on its "
        "slot from Outlook is then booked. Refused (409) without a reason or when the "
        "conflict was decided already.",
        request=ReasonSerializer,
        responses={200: ConflictDecisionSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="give-way")
    def give_way(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, conflict_decisions.give_way)

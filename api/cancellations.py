"""Cancellation requests: read, approve ("Cancel"), keep ("Keep") and check in Outlook
("Get status info").

The decisions are cancellations/decisions.py, as in the admin: a request is decided once,
and one whose reservation changed since the cancellation was detected is approved only
with `despite_changes`. A refusal is a 409 carrying the message and the changes.
"""

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
from cancellations import decisions
from cancellations.models import CancellationRequest, Decision


class CancellationRequestSerializer(serializers.ModelSerializer):
    detected_at = serializers.DateTimeField(source="created_at", read_only=True)
    reservation_title = serializers.CharField(source="reservation.title", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who decided it."
    )

    class Meta:
        model = CancellationRequest
        fields = (
            "id",
            "reservation",
            "reservation_title",
            "sync_connection",
            "external_state",
            "outlook_event_id",
            "state",
            "detected_at",
            "decided_by",
            "decided_at",
        )
        read_only_fields = fields


class CancellationRequestDetailSerializer(CancellationRequestSerializer):
    class Meta(CancellationRequestSerializer.Meta):
        fields = (
            *CancellationRequestSerializer.Meta.fields,
            "reservation_snapshot",
            "outlook_data",
        )
        read_only_fields = fields


class ApproveSerializer(serializers.Serializer):
    despite_changes = serializers.BooleanField(
        default=False,
        help_text="Cancel it even though the reservation changed since the cancellation was "
        "detected (after re-checking it in Outlook).",
    )


class DecisionSerializer(serializers.Serializer):
    done = serializers.BooleanField()
    message = serializers.CharField()
    request = CancellationRequestDetailSerializer()


class StatusInfoSerializer(serializers.Serializer):
    request = serializers.IntegerField(source="request.pk", help_text="The request's id.")
    outlook_state = serializers.ChoiceField(
        choices=["present", "cancelled", "deleted"],
        help_text="The event in Outlook now: still there, cancelled, or deleted.",
    )
    event = serializers.JSONField(
        allow_null=True, help_text="The event as Microsoft Graph returned it; null if deleted."
    )


class CancellationRequestFilters(ListFilters):
    state = serializers.ChoiceField(choices=Decision.choices, required=False)

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        return queryset.filter(**values)


REFUSAL = (
    "A refusal (409) carries the message and, when the reservation changed since the "
    "cancellation was detected, `details.changes`: each field with its value then and now."
)


@extend_schema_view(
    list=extend_schema(
        summary="List cancellation requests",
        description="Pending requests first, then the others, newest first.",
        parameters=[CancellationRequestFilters],
    ),
    retrieve=extend_schema(summary="Read a cancellation request, with its Outlook data"),
)
class CancellationRequestViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Outlook cancellations waiting for a decision, and those decided."""

    filters = CancellationRequestFilters
    action_permissions = {
        "approve": ["cancellations.approve_cancellationrequest"],
        "keep": ["cancellations.reject_cancellationrequest"],
        "status_info": ["cancellations.get_status_info_cancellationrequest"],
    }

    def get_queryset(self) -> QuerySet[CancellationRequest]:
        queryset = CancellationRequest.objects.select_related("reservation", "decided_by")
        if self.action == "list":
            queryset = queryset.defer("outlook_data", "reservation_snapshot")
        pending_first = Case(When(state=Decision.PENDING, then=Value(0)), default=Value(1))
        return queryset.order_by(pending_first.asc(), "-created_at", "-pk")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "list":
            return CancellationRequestSerializer
        return CancellationRequestDetailSerializer

    def _answer(self, outcome: decisions.Outcome) -> Response:
        if not outcome.done:
            changes = [
                {"field": c.field, "detected": c.detected, "now": c.now} for c in outcome.changes
            ]
            raise Conflict(outcome.message, {"changes": changes} if changes else {})
        body = {"done": True, "message": outcome.message, "request": self.get_object()}
        return Response(DecisionSerializer(body, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Approve: cancel the reservation",
        operation_id="cancellation_requests_approve",
        description="Cancels the reservation and records who decided and when; other pending "
        f"requests for the same reservation are settled too. {REFUSAL}",
        request=ApproveSerializer,
        responses={200: DecisionSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = decisions.approve(
            self.get_object(), request.user, despite_changes=body.validated_data["despite_changes"]
        )
        return self._answer(outcome)

    @extend_schema(
        summary="Keep: reject the cancellation",
        operation_id="cancellation_requests_keep",
        description="Records the decision and leaves the reservation as it is; where the "
        "tenant's sync mode writes to Outlook and the reservation was made here, its event is "
        f"put back. {REFUSAL}",
        request=None,
        responses={200: DecisionSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def keep(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(decisions.keep(self.get_object(), request.user))

    @extend_schema(
        summary="Get status info: the event as Outlook has it now",
        operation_id="cancellation_requests_status_info",
        description="Reads the request's event from the connection's calendar in Microsoft "
        "Graph (one call) and changes nothing: `outlook_state` is `present`, `cancelled` or "
        "`deleted`. When it cannot be checked (the request has no connection, or Graph "
        "failed), the answer is a 409 saying why, with Graph's answer.",
        responses={200: StatusInfoSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["get"], url_path="status-info")
    def status_info(self, request: Request, pk: str | None = None) -> Response:
        info = decisions.status_info(self.get_object())
        if info.error:
            raise Conflict(f"Could not be checked. {info.error}")
        return Response(StatusInfoSerializer(info).data)

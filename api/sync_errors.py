"""Sync errors: read, and retry (one, or several at once), as the admin's "Retry" does."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, ErrorSerializer
from api.fields import MAX_ID, MomentField, object_id, yes_no
from api.filters import FilteredListMixin, ListFilters
from errors.models import Operation, SyncError
from syncconnections.error_retry import RetryResult, retry_errors

MAX_RETRIED_AT_ONCE = 500


class SyncErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncError
        fields = (
            "id",
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
        read_only_fields = fields


class RetryResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    retried = serializers.ListField(
        child=serializers.IntegerField(), help_text="Errors whose operation runs again."
    )
    skipped = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Errors already resolved, or with nothing to run again.",
    )


class RetryManySerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_RETRIED_AT_ONCE,
        help_text=f"The sync errors to retry (at most {MAX_RETRIED_AT_ONCE}).",
    )


class SyncErrorFilters(ListFilters):
    operation = serializers.ChoiceField(choices=Operation.choices, required=False)
    connection = object_id("Only the errors of this sync connection.")
    reservation = object_id("Only the errors of this reservation.")
    resolved = yes_no("Only resolved (true) or unresolved (false) errors.")
    since = MomentField(help_text="Only errors from this moment on (a date: from that day).")
    until = MomentField(
        end_of_day=True, help_text="Only errors before this moment (a date: through that day)."
    )

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        lookups = {
            "operation": "operation",
            "connection": "sync_connection_id",
            "reservation": "reservation_id",
            "resolved": "resolved",
            "since": "created_at__gte",
            "until": "created_at__lt",
        }
        return queryset.filter(**{lookups[name]: value for name, value in values.items()})


def _answer(result: RetryResult) -> Response:
    if not result.retried:
        raise Conflict(result.skipped_message, {"skipped": result.skipped})
    body = {"message": " ".join(result.messages), **vars(result)}
    return Response(RetryResultSerializer(body).data, status=status.HTTP_202_ACCEPTED)


RETRY_DESCRIPTION = (
    "Runs the failed operation again in the background: Create, Update and Delete queue the "
    "reservation for Outlook, Connection Setup validates the connection again, Sync Down asks "
    "for a delta sync, Subscription Refresh renews the subscription. An error is marked "
    "resolved when its operation next succeeds. Resolved errors and errors with nothing to "
    "re-run are skipped; when nothing is retried the answer is a 409."
)


@extend_schema_view(
    list=extend_schema(summary="List sync errors", parameters=[SyncErrorFilters]),
    retrieve=extend_schema(summary="Read a sync error"),
)
class SyncErrorViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Failed Microsoft 365 operations, newest first."""

    queryset = SyncError.objects.order_by("-created_at", "-pk")
    serializer_class = SyncErrorSerializer
    filters = SyncErrorFilters
    action_permissions = {
        "retry": ["errors.retry_syncerror"],
        "retry_many": ["errors.retry_syncerror"],
    }

    @extend_schema(
        summary="Retry a sync error",
        operation_id="sync_errors_retry",
        description=RETRY_DESCRIPTION,
        request=None,
        responses={202: RetryResultSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        error = self.get_object()
        return _answer(retry_errors(SyncError.objects.filter(pk=error.pk)))

    @extend_schema(
        summary="Retry several sync errors",
        operation_id="sync_errors_retry_many",
        description=f"{RETRY_DESCRIPTION} Ids that match no error are ignored.",
        request=RetryManySerializer,
        responses={202: RetryResultSerializer, 409: ErrorSerializer},
    )
    @action(detail=False, methods=["post"], url_path="retry")
    def retry_many(self, request: Request) -> Response:
        body = RetryManySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _answer(retry_errors(SyncError.objects.filter(pk__in=body.validated_data["ids"])))

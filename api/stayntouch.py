"""The StayNTouch Rover PMS: accounts with their Rover id and "Sync to StayNTouch", and the
request log of every callout with "Retry callout" — the admin's actions, saying the same."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts_pms import accounts, retry
from accounts_pms.models import CalloutState, PmsOperation, StayNTouchRequest
from api.errors import Conflict, ErrorSerializer
from api.fields import MomentField, email_or_blank, object_id
from api.filters import FilteredListMixin, ListFilters
from bookings.models import Account

# --- accounts ------------------------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    contact_email = email_or_blank()
    rover_id = serializers.SerializerMethodField(
        help_text="The company's id in StayNTouch Rover; null until it is synced."
    )
    rover_linked_at = serializers.DateTimeField(
        source="rover_link.linked_at", read_only=True, allow_null=True
    )

    class Meta:
        model = Account
        fields = (
            "id",
            "name",
            "account_number",
            "street1",
            "street2",
            "street3",
            "postal_code",
            "city",
            "state",
            "country",
            "contact_first_name",
            "contact_last_name",
            "contact_email",
            "contact_phone",
            "contact_job_title",
            "rover_id",
            "rover_linked_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_rover_id(self, account: Account) -> str | None:
        link = getattr(account, "rover_link", None)
        return link.rover_id if link and link.is_linked else None


class AccountSyncSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    rover_id = serializers.CharField()
    account = AccountSerializer()


@extend_schema_view(
    list=extend_schema(summary="List accounts (companies)"),
    retrieve=extend_schema(summary="Read an account"),
)
class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Accounts (companies), with their StayNTouch Rover id once synced."""

    queryset = Account.objects.select_related("rover_link").order_by("name", "pk")
    serializer_class = AccountSerializer
    action_permissions = {"sync_to_stayntouch": ["accounts_pms.sync_account"]}

    @extend_schema(
        summary="Sync an account to StayNTouch",
        operation_id="accounts_sync_to_stayntouch",
        description="Finds the company in Rover (by account number, then by name) or creates "
        "it, and stores its Rover id. When it cannot (StayNTouch not set up, data missing, a "
        "sync already running, or Rover refused), the answer is a 409 with the reason; "
        "`details.request` is the id of the StayNTouch request that failed, if one was made.",
        request=None,
        responses={200: AccountSyncSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="sync-to-stayntouch")
    def sync_to_stayntouch(self, request: Request, pk: str | None = None) -> Response:
        result = accounts.sync_account(self.get_object())
        if not result.ok:
            failed = {"request": result.request.pk} if result.request else {}
            raise Conflict(result.message, failed)
        body = {
            "ok": True,
            "message": result.message,
            "rover_id": result.rover_id,
            "account": self.get_object(),
        }
        return Response(AccountSyncSerializer(body).data)


# --- the request log -----------------------------------------------------------------------


class StayNTouchRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = StayNTouchRequest
        fields = (
            "id",
            "created_at",
            "updated_at",
            "operation",
            "state",
            "account",
            "reservation",
            "attempts",
            "status_code",
            "duration_ms",
            "error_message",
        )
        read_only_fields = fields


class StayNTouchRequestDetailSerializer(StayNTouchRequestSerializer):
    class Meta(StayNTouchRequestSerializer.Meta):
        fields = (*StayNTouchRequestSerializer.Meta.fields, "request_body", "response_body")
        read_only_fields = fields


class CalloutRetrySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    request = StayNTouchRequestDetailSerializer()


class StayNTouchRequestFilters(ListFilters):
    operation = serializers.ChoiceField(choices=PmsOperation.choices, required=False)
    state = serializers.ChoiceField(choices=CalloutState.choices, required=False)
    account = object_id("Only the requests of this account.")
    reservation = object_id("Only the requests of this reservation.")
    since = MomentField(help_text="Only requests from this moment on (a date: from that day).")
    until = MomentField(
        end_of_day=True,
        help_text="Only requests before this moment (a date: through that day).",
    )

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        lookups = {
            "operation": "operation",
            "state": "state",
            "account": "account_id",
            "reservation": "reservation_id",
            "since": "created_at__gte",
            "until": "created_at__lt",
        }
        return queryset.filter(**{lookups[name]: value for name, value in values.items()})


@extend_schema_view(
    list=extend_schema(summary="List StayNTouch requests", parameters=[StayNTouchRequestFilters]),
    retrieve=extend_schema(summary="Read a StayNTouch request, with its bodies"),
)
class StayNTouchRequestViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Every callout to StayNTouch Rover, newest first."""

    filters = StayNTouchRequestFilters
    action_permissions = {"retry": ["accounts_pms.retry_callout"]}

    def get_queryset(self) -> QuerySet[StayNTouchRequest]:
        queryset = StayNTouchRequest.objects.order_by("-created_at", "-pk")
        if self.action == "list":
            return queryset.defer("request_body", "response_body")
        return queryset

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "list":
            return StayNTouchRequestSerializer
        return StayNTouchRequestDetailSerializer

    @extend_schema(
        summary="Retry a failed callout",
        operation_id="stayntouch_requests_retry",
        description="Runs the request's operation again, recorded in the same request (its "
        "attempts go up). Each operation first checks what Rover has already, so nothing is "
        "done twice. Only failed requests are retried; when the retry fails, or the request "
        "had not failed, the answer is a 409 with the reason.",
        request=None,
        responses={200: CalloutRetrySerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        callout = self.get_object()
        outcome = retry.retry(callout)
        message = f"{callout.get_operation_display()} #{callout.pk}: {outcome.message}"
        if not outcome.ok:
            raise Conflict(message, {"request": callout.pk})
        body = {"ok": True, "message": message, "request": self.get_object()}
        return Response(CalloutRetrySerializer(body).data)

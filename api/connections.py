"""Microsoft 365 sync connections: read, validate, activate, deactivate.

Secrets stay in: no delta tokens, no subscription clientState, no tenant secret (not even
loaded). The actions do and say what the admin's actions do.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, ErrorSerializer
from api.fields import object_id, yes_no
from api.filters import FilteredListMixin, ListFilters
from syncconnections import connection_setup
from syncconnections.models import SyncConnection

# Never loaded, so never shown.
SECRET_FIELDS = (
    "delta_token",
    "secondary_delta_token",
    "subscription_client_state",
    "tenant__client_secret",
)


class SyncConnectionSerializer(serializers.ModelSerializer):
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)
    live = serializers.SerializerMethodField(
        help_text="Whether a live-sync subscription (Graph notifications) is in place."
    )

    class Meta:
        model = SyncConnection
        fields = (
            "id",
            "tenant",
            "tenant_name",
            "user_id",
            "user_type",
            "calendar_name",
            "resource",
            "staff",
            "activate_after_validation",
            "active",
            "use_live_sync",
            "valid",
            "calendar_id",
            "live",
            "subscription_expires_at",
            "delta_window_start",
            "delta_window_end",
            "last_validated_at",
            "last_synced_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_live(self, connection: SyncConnection) -> bool:
        return bool(connection.subscription_id)


class ConnectionActionSerializer(serializers.Serializer):
    message = serializers.CharField()
    connection = SyncConnectionSerializer()


class SyncConnectionFilters(ListFilters):
    tenant = object_id("Only the connections of this Microsoft 365 tenant.")
    active = yes_no("Only active (true) or inactive (false) connections.")
    valid = yes_no("Only valid (true) or not valid (false) connections.")
    resource = object_id("Only the connections of this resource.")
    staff = object_id("Only the connections of this staff member.")

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        lookups = {
            "tenant": "tenant_id",
            "active": "active",
            "valid": "valid",
            "resource": "resource_id",
            "staff": "staff_id",
        }
        return queryset.filter(**{lookups[name]: value for name, value in values.items()})


@extend_schema_view(
    list=extend_schema(summary="List sync connections", parameters=[SyncConnectionFilters]),
    retrieve=extend_schema(summary="Read a sync connection"),
)
class SyncConnectionViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Microsoft 365 mailbox calendars, each kept in step with a resource or staff member."""

    serializer_class = SyncConnectionSerializer
    filters = SyncConnectionFilters
    action_permissions = {
        "validate": ["syncconnections.validate_syncconnection"],
        "activate": ["syncconnections.activate_syncconnection"],
        "deactivate": ["syncconnections.activate_syncconnection"],
    }

    def get_queryset(self) -> QuerySet[SyncConnection]:
        return (
            SyncConnection.objects.select_related("tenant")
            .defer(*SECRET_FIELDS)
            .order_by("user_id", "calendar_name", "pk")
        )

    def _answer(self, message: str, code: int = status.HTTP_200_OK) -> Response:
        connection = self.get_object()  # as it is now
        body = ConnectionActionSerializer({"message": message, "connection": connection}).data
        return Response(body, status=code)

    @extend_schema(
        summary="Validate a sync connection",
        operation_id="sync_connections_validate",
        description="Checks, in the background, that the mailbox is in the tenant's e-mail "
        "domains, exists, and has the calendar; the result shows in `valid` and, when it "
        "fails, in the sync errors.",
        request=None,
        responses={202: ConnectionActionSerializer},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        connection = self.get_object()
        connection_setup.request_validation(connection)
        return self._answer(
            f"Validation started for {connection}. The result shows in “Valid” and, if it "
            "fails, in the sync errors.",
            status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="Activate a sync connection",
        operation_id="sync_connections_activate",
        description="Only a valid connection can be active (409 otherwise), and not yet one of "
        "a Google Workspace tenant (409). Its future reservations are then sent to Outlook.",
        request=None,
        responses={200: ConnectionActionSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        connection = self.get_object()
        result = connection_setup.activate([connection])
        if result.refused:
            raise Conflict(f"Not activated, because not valid: {connection}. Validate first.")
        if result.activated:
            return self._answer(
                f"Activated {connection}; {result.reservations_queued} future "
                "reservations are being sent to Outlook."
            )
        return self._answer("The selected connections were already active.")

    @extend_schema(
        summary="Deactivate a sync connection",
        operation_id="sync_connections_deactivate",
        description="It stops syncing and its live subscription is dropped; the events in "
        "Outlook stay.",
        request=None,
        responses={200: ConnectionActionSerializer},
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        count = connection_setup.deactivate([self.get_object()])
        return self._answer(f"Deactivated {count} connection(s); they no longer sync.")

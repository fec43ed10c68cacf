from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from rangefilter.filters import DateRangeFilterBuilder

from config.admin_helpers import (
    ReadOnlyAdmin,
    SecretFieldsAdminMixin,
    is_changelist,
    pretty_json,
)
from syncconnections.models import CompanyLogEntry, SyncConnection, Tenant


@admin.register(Tenant)
class TenantAdmin(SecretFieldsAdminMixin, admin.ModelAdmin):
    secret_fields = ("client_secret",)
    list_display = (
        "name",
        "directory_id",
        "client_id",
        "sync_mode",
        "graph_api_version",
        "connection_count",
    )
    list_filter = ("sync_mode",)
    search_fields = ("name", "directory_id", "client_id")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name",)}),
        (
            "Microsoft Graph settings",
            {
                "fields": (
                    "graph_api_version",
                    "directory_id",
                    "client_id",
                    "client_secret",
                    "email_domains",
                )
            },
        ),
        (
            "Sync settings",
            {
                "fields": (
                    "sync_mode",
                    "calendar_provider",
                    "failure_notification_emails",
                    "max_occurrences",
                    "max_updates",
                    "ignore_cancellation_requests",
                )
            },
        ),
        ("System", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        queryset = super().get_queryset(request)
        if is_changelist(request):
            queryset = queryset.annotate(_connections=Count("connections"))
        return queryset

    @admin.display(description="connections", ordering="_connections")
    def connection_count(self, obj: Tenant) -> int:
        return obj._connections


@admin.register(SyncConnection)
class SyncConnectionAdmin(admin.ModelAdmin):
    list_display = (
        "user_id",
        "calendar_name",
        "target",
        "tenant",
        "user_type",
        "valid",
        "active",
        "use_live_sync",
        "last_synced_at",
    )
    list_filter = ("tenant", "valid", "active", "use_live_sync", "user_type")
    list_select_related = ("tenant", "resource", "resource__location", "staff")
    search_fields = ("user_id", "calendar_name", "resource__name", "staff__last_name")
    autocomplete_fields = ("tenant", "resource", "staff")
    readonly_fields = (
        "valid",
        "calendar_id",
        "delta_token",
        "secondary_delta_token",
        "subscription_id",
        "subscription_expires_at",
        "last_validated_at",
        "last_synced_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "tenant",
                    "user_id",
                    "user_type",
                    "calendar_name",
                    "resource",
                    "staff",
                    "activate_after_validation",
                    "active",
                    "use_live_sync",
                )
            },
        ),
        (
            "Filled by the system",
            {
                "fields": (
                    "valid",
                    "calendar_id",
                    "delta_token",
                    "secondary_delta_token",
                    "subscription_id",
                    "subscription_expires_at",
                    "last_validated_at",
                    "last_synced_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[SyncConnection]:
        # Lists never show secrets: don't even decrypt them.
        return (
            super()
            .get_queryset(request)
            .defer("subscription_client_state", "tenant__client_secret")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: SyncConnection | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("syncconnections.activate_syncconnection"):
            readonly.append("active")
        return readonly

    @admin.display(description="resource or staff")
    def target(self, obj: SyncConnection) -> str:
        return str(obj.target)


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

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from common.admin_helpers import ObjectActionsMixin, SecretFieldsAdminMixin, is_changelist
from syncconnections import tenant_check
from syncconnections.models import Tenant


@admin.register(Tenant)
class TenantAdmin(ObjectActionsMixin, SecretFieldsAdminMixin, admin.ModelAdmin):
    secret_fields = ("client_secret", "google_service_account_key")
    actions = ("test_credentials",)
    object_actions = ("test_credentials",)
    list_display = (
        "name",
        "calendar_provider",
        "directory_id",
        "client_id",
        "sync_mode",
        "graph_api_version",
        "connection_count",
    )
    list_filter = ("calendar_provider", "sync_mode")
    search_fields = ("name", "directory_id", "client_id")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "calendar_provider", "email_domains")}),
        (
            "Microsoft 365: Microsoft Graph settings",
            {
                "fields": (
                    "graph_api_version",
                    "directory_id",
                    "client_id",
                    "client_secret",
                )
            },
        ),
        (
            "Google Workspace settings",
            {"fields": ("google_service_account_key", "google_admin_email")},
        ),
        (
            "Sync settings",
            {
                "fields": (
                    "sync_mode",
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

    def has_test_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("syncconnections.test_tenant")

    @admin.action(description="Test", permissions=["test"])
    def test_credentials(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        """Sign in with the tenant's credentials and read one user, saying what failed."""
        for tenant in queryset:
            result = tenant_check.check(tenant)
            self.message_user(
                request, result.message, messages.SUCCESS if result.ok else messages.ERROR
            )

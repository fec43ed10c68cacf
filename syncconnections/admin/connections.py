from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path

from common.admin_helpers import ObjectActionsMixin
from syncconnections import connection_setup
from syncconnections.admin.filters import ConnectionStateFilter
from syncconnections.admin.planner import planner_view
from syncconnections.admin.room_import import import_rooms_view
from syncconnections.models import SyncConnection

# Written by validation and sync only.
SYSTEM_FIELDS = (
    "valid",
    "calendar_id",
    "delta_token",
    "secondary_delta_token",
    "delta_window_start",
    "delta_window_end",
    "secondary_window_start",
    "secondary_window_end",
    "subscription_id",
    "subscription_expires_at",
    "last_validated_at",
    "last_synced_at",
    "created_at",
    "updated_at",
)


@admin.register(SyncConnection)
class SyncConnectionAdmin(ObjectActionsMixin, admin.ModelAdmin):
    actions = ("validate_selected", "activate_selected", "deactivate_selected")
    object_actions = actions
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
    list_filter = (ConnectionStateFilter, "tenant", "valid", "active", "use_live_sync", "user_type")
    list_select_related = ("tenant", "resource", "resource__location", "staff")
    search_fields = ("user_id", "calendar_name", "resource__name", "staff__last_name")
    autocomplete_fields = ("tenant", "resource", "staff")
    readonly_fields = SYSTEM_FIELDS
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
        ("Filled by the system", {"fields": SYSTEM_FIELDS}),
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
            readonly += ["active", "activate_after_validation"]
        return readonly

    @admin.display(description="resource or staff")
    def target(self, obj: SyncConnection) -> str:
        return str(obj.target)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "import-rooms/",
                self.admin_site.admin_view(partial(import_rooms_view, self)),
                name="syncconnections_syncconnection_import_rooms",
            ),
            path(
                "planner/",
                self.admin_site.admin_view(partial(planner_view, self)),
                name="syncconnections_planner",
            ),
            *super().get_urls(),
        ]

    def save_model(
        self, request: HttpRequest, obj: SyncConnection, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        changed = set(form.changed_data) if change else set()
        # What the Activate and Deactivate actions do (the form refuses to activate a
        # connection that is not valid).
        if "active" in changed and obj.active:
            queued = connection_setup.started([obj])
            self.message_user(
                request,
                f"Activated {obj}; {queued} future reservations are being sent to Outlook.",
                messages.SUCCESS,
            )
        elif "active" in changed:
            connection_setup.deactivate([obj])
            self.message_user(request, f"Deactivated {obj}; it no longer syncs.", messages.SUCCESS)
        elif "use_live_sync" in changed and obj.active:
            connection_setup.live_sync_changed(obj)
        if not change or {"tenant", "user_id", "calendar_name"} & set(form.changed_data):
            connection_setup.request_validation(obj)
            self.message_user(request, f"Validation of {obj} started.", messages.INFO)

    # --- actions, each with its own permission --------------------------------------------------

    def has_validate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("syncconnections.validate_syncconnection")

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("syncconnections.activate_syncconnection")

    @admin.action(description="Validate", permissions=["validate"])
    def validate_selected(self, request: HttpRequest, queryset: QuerySet[SyncConnection]) -> None:
        connections = list(queryset)
        for connection in connections:
            connection_setup.request_validation(connection)
        self.message_user(
            request,
            f"Validation started for {_names(connections)}. The result shows in “Valid” and, "
            "if it fails, in the sync errors.",
            messages.INFO,
        )

    @admin.action(description="Activate", permissions=["activate"])
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[SyncConnection]) -> None:
        result = connection_setup.activate(queryset)
        if result.activated:
            self.message_user(
                request,
                f"Activated {_names(result.activated)}; {result.reservations_queued} future "
                "reservations are being sent to Outlook.",
                messages.SUCCESS,
            )
        if result.refused:
            self.message_user(
                request,
                f"Not activated, because not valid: {_names(result.refused)}. Validate first.",
                messages.ERROR,
            )
        if not result.activated and not result.refused:
            self.message_user(
                request, "The selected connections were already active.", messages.INFO
            )

    @admin.action(description="Deactivate", permissions=["activate"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[SyncConnection]) -> None:
        count = connection_setup.deactivate(queryset)
        self.message_user(
            request, f"Deactivated {count} connection(s); they no longer sync.", messages.SUCCESS
        )


def _names(connections: list[SyncConnection]) -> str:
    return ", ".join(str(c) for c in connections)

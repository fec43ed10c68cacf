from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from rangefilter.filters import DateRangeFilterBuilder

from accounts_pms.models import (
    PostingAccount,
    RoverAccountLink,
    StayNTouchRequest,
    StayNTouchSettings,
)
from bookings.admin import AccountAdmin as BaseAccountAdmin
from bookings.models import Account
from config.admin_helpers import ReadOnlyAdmin, SecretFieldsAdminMixin, pretty_json


@admin.register(StayNTouchSettings)
class StayNTouchSettingsAdmin(SecretFieldsAdminMixin, admin.ModelAdmin):
    secret_fields = ("client_secret",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("__str__", "enabled", "api_base_url", "hotel_id", "start_status", "end_status")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("enabled",)}),
        (
            "Connect API",
            {
                "fields": (
                    "api_base_url",
                    "auth_url",
                    "client_id",
                    "client_secret",
                    "hotel_id",
                    "api_version",
                )
            },
        ),
        ("Reservation sync", {"fields": ("start_status", "end_status")}),
        ("System", {"fields": ("created_at", "updated_at")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # There is one set of settings.
        return not StayNTouchSettings.objects.exists() and super().has_add_permission(request)


class RoverAccountLinkInline(admin.StackedInline):
    model = RoverAccountLink
    can_delete = False
    fields = ("rover_id", "linked_at")
    readonly_fields = fields
    verbose_name = "StayNTouch company"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Accounts know nothing of StayNTouch; this app adds its link to the account pages.
admin.site.unregister(Account)


@admin.register(Account)
class AccountAdmin(BaseAccountAdmin):
    list_display = (*BaseAccountAdmin.list_display, "rover_id")
    list_select_related = ("rover_link",)
    inlines = (*BaseAccountAdmin.inlines, RoverAccountLinkInline)

    @admin.display(description="Rover id", ordering="rover_link__rover_id")
    def rover_id(self, obj: Account) -> str:
        link = getattr(obj, "rover_link", None)
        return link.rover_id if link else "—"


@admin.register(RoverAccountLink)
class RoverAccountLinkAdmin(ReadOnlyAdmin):
    list_display = ("account", "rover_id", "linked_at")
    list_select_related = ("account",)
    search_fields = ("account__name", "rover_id__exact")


@admin.register(PostingAccount)
class PostingAccountAdmin(ReadOnlyAdmin):
    list_display = (
        "reservation",
        "rover_id",
        "rover_account_id",
        "created_at",
        "charges_posted_at",
    )
    list_select_related = ("reservation",)
    search_fields = ("rover_id__exact", "reservation__title")
    show_full_result_count = False


@admin.register(StayNTouchRequest)
class StayNTouchRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "operation",
        "state",
        "status_code",
        "attempts",
        "account",
        "reservation",
        "duration_ms",
    )
    list_filter = ("operation", "state", ("created_at", DateRangeFilterBuilder(title="date")))
    list_select_related = ("account", "reservation")
    search_fields = ("account__name", "reservation__title")
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = (
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
        "request_display",
        "response_display",
    )
    readonly_fields = fields

    @admin.display(description="request body")
    def request_display(self, obj: StayNTouchRequest) -> str:
        return pretty_json(obj.request_body)

    @admin.display(description="response body")
    def response_display(self, obj: StayNTouchRequest) -> str:
        return pretty_json(obj.response_body)

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from rangefilter.filters import DateRangeFilterBuilder

from accounts_pms import accounts, retry
from accounts_pms.models import (
    CalloutState,
    PostingAccount,
    RoverAccountLink,
    StayNTouchRequest,
    StayNTouchSettings,
)
from accounts_pms.rover import RoverClient, RoverError, forget_tokens
from bookings.admin import AccountAdmin as BaseAccountAdmin
from bookings.models import Account
from common.admin_helpers import (
    ObjectActionsMixin,
    ReadOnlyAdmin,
    SecretFieldsAdminMixin,
    pretty_json,
)


@admin.register(StayNTouchSettings)
class StayNTouchSettingsAdmin(ObjectActionsMixin, SecretFieldsAdminMixin, admin.ModelAdmin):
    secret_fields = ("client_secret",)
    actions = ("test_credentials",)
    object_actions = ("test_credentials",)
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

    def has_test_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts_pms.test_stayntouchsettings")

    @admin.action(description="Test", permissions=["test"])
    def test_credentials(
        self, request: HttpRequest, queryset: QuerySet[StayNTouchSettings]
    ) -> None:
        """Sign in to Rover with the stored credentials (a fresh token, not a cached one)."""
        for stayntouch in queryset:
            forget_tokens()
            try:
                RoverClient.from_settings(stayntouch).token()
            except RoverError as exc:
                self.message_user(
                    request,
                    f"StayNTouch refused the sign-in at {stayntouch.auth_url}: {exc}",
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    f"Signed in to StayNTouch at {stayntouch.auth_url} as "
                    f"{stayntouch.client_id}: the credentials work.",
                    messages.SUCCESS,
                )


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
class AccountAdmin(ObjectActionsMixin, BaseAccountAdmin):
    list_display = (*BaseAccountAdmin.list_display, "rover_id")
    list_select_related = ("rover_link",)
    inlines = (*BaseAccountAdmin.inlines, RoverAccountLinkInline)
    actions = ("sync_to_stayntouch",)
    object_actions = ("sync_to_stayntouch",)

    def has_sync_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts_pms.sync_account")

    @admin.action(description="Sync to StayNTouch", permissions=["sync"])
    def sync_to_stayntouch(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        if not self.has_sync_permission(request):  # also when called other than by the admin
            raise PermissionDenied
        for account in queryset.order_by("pk"):
            result = accounts.sync_account(account)
            self.message_user(
                request, result.message, messages.SUCCESS if result.ok else messages.ERROR
            )

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
class StayNTouchRequestAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    actions = ("retry_callout",)
    object_actions = ("retry_callout",)

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

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts_pms.retry_callout")

    def object_action_applies(self, obj: StayNTouchRequest, name: str) -> bool:
        return obj.state == CalloutState.FAILED

    @admin.action(description="Retry callout", permissions=["retry"])
    def retry_callout(self, request: HttpRequest, queryset: QuerySet[StayNTouchRequest]) -> None:
        """Run failed callouts again; each checks Rover first, so nothing is done twice."""
        if not self.has_retry_permission(request):
            raise PermissionDenied
        for callout in queryset.select_related("account").order_by("pk"):
            outcome = retry.retry(callout)
            self.message_user(
                request,
                f"{callout.get_operation_display()} #{callout.pk}: {outcome.message}",
                messages.SUCCESS if outcome.ok else messages.ERROR,
            )

    @admin.display(description="request body")
    def request_display(self, obj: StayNTouchRequest) -> str:
        return pretty_json(obj.request_body)

    @admin.display(description="response body")
    def response_display(self, obj: StayNTouchRequest) -> str:
        return pretty_json(obj.response_body)

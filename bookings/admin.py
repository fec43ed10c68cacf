from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rangefilter.filters import DateRangeFilterBuilder

from bookings.models import (
    Account,
    Location,
    Reservation,
    ReservationSeries,
    Resource,
    Service,
    ServiceReservation,
    Staff,
)
from common.admin_helpers import is_changelist


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "time_zone")
    search_fields = ("name", "city")


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "location", "mailbox_email", "capacity", "price", "charge_code")
    list_filter = ("location", "is_active")
    list_select_related = ("location",)
    search_fields = ("name", "mailbox_email", "location__name")
    autocomplete_fields = ("location",)
    ordering = ("location__name", "name")


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "job_title", "is_active")
    list_filter = ("is_active",)
    search_fields = ("first_name", "last_name", "email")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "account_number", "city", "country", "contact_email")
    search_fields = ("name", "account_number", "contact_email")
    fieldsets = (
        (None, {"fields": ("name", "account_number")}),
        (
            "Address",
            {
                "fields": (
                    "street1",
                    "street2",
                    "street3",
                    "postal_code",
                    "city",
                    "state",
                    "country",
                )
            },
        ),
        (
            "Primary contact",
            {
                "fields": (
                    ("contact_first_name", "contact_last_name"),
                    "contact_email",
                    "contact_phone",
                    "contact_job_title",
                )
            },
        ),
    )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "charge_code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "charge_code")


class UuidSearchMixin:
    """A search term that is a UUID finds exactly that row (through its unique index)."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        try:
            wanted = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(uuid=wanted), False


class InboundReadOnlyMixin:
    """Reservations that came in from Outlook are changed only in Outlook."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and getattr(obj, "is_inbound", False):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and getattr(obj, "is_inbound", False):
            return False
        return super().has_delete_permission(request, obj)


class ServiceReservationInline(admin.TabularInline):
    model = ServiceReservation
    extra = 0
    autocomplete_fields = ("service",)
    fields = ("service", "quantity", "unit_price")

    # `obj` is the parent reservation: an inbound one's services are read-only too.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not (obj and obj.is_inbound) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not (obj and obj.is_inbound) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not (obj and obj.is_inbound) and super().has_delete_permission(request, obj)


@admin.register(Reservation)
class ReservationAdmin(UuidSearchMixin, InboundReadOnlyMixin, admin.ModelAdmin):
    list_display = ("title", "start", "end", "resource", "status", "direction", "account")
    list_filter = (
        "status",
        "direction",
        "resource__location",
        ("start", DateRangeFilterBuilder(title="start")),
    )
    list_select_related = ("resource", "resource__location", "account")
    search_fields = ("title", "organizer_email")
    autocomplete_fields = ("resource", "staff", "account", "series")
    readonly_fields = ("uuid", "direction", "organizer_email", "created_at", "updated_at")
    inlines = (ServiceReservationInline,)
    ordering = ("-start",)
    show_full_result_count = False

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateTimeField) and field is not None:
            # Said beside the field: the browser's own zone plays no part.
            field.help_text = f"In {timezone.get_current_timezone_name()}."
        return field

    fieldsets = (
        (None, {"fields": ("title", "description", ("start", "end"), "status")}),
        ("Booked for", {"fields": ("resource", "staff", "account", "series")}),
        (
            "System",
            {"fields": ("uuid", "direction", "organizer_email", "created_at", "updated_at")},
        ),
    )


class OccurrenceInline(admin.TabularInline):
    model = Reservation
    fk_name = "series"
    extra = 0
    fields = ("title", "start", "end", "status")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReservationSeries)
class ReservationSeriesAdmin(UuidSearchMixin, InboundReadOnlyMixin, admin.ModelAdmin):
    list_display = ("title", "resource", "status", "direction", "occurrence_count")
    list_filter = ("status", "direction")
    list_select_related = ("resource", "resource__location")
    search_fields = ("title",)
    autocomplete_fields = ("resource", "staff", "account")
    readonly_fields = ("uuid", "status", "direction", "created_at", "updated_at")
    inlines = (OccurrenceInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReservationSeries]:
        queryset = super().get_queryset(request)
        if is_changelist(request):  # not for autocomplete or the change page
            queryset = queryset.annotate(_occurrences=Count("occurrences"))
        return queryset

    @admin.display(description="occurrences", ordering="_occurrences")
    def occurrence_count(self, obj: ReservationSeries) -> int:
        return obj._occurrences


@admin.register(ServiceReservation)
class ServiceReservationAdmin(admin.ModelAdmin):
    """Services of inbound reservations are read-only, as on the reservation page."""

    list_display = ("service", "quantity", "unit_price", "reservation")
    list_select_related = ("service", "reservation")
    search_fields = ("service__name", "reservation__title")
    autocomplete_fields = ("reservation", "service")
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.reservation.is_inbound:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.reservation.is_inbound:
            return False
        return super().has_delete_permission(request, obj)

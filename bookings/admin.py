from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.dateparse import parse_datetime
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
from bookings.overlaps import RoomDoubleBooked, occupied_html
from bookings.recurrence import in_words
from bookings.series import SeriesClashes, book_series, max_occurrences
from bookings.series_admin import SeriesEditsMixin
from bookings.series_form import SeriesPatternForm
from common.admin_helpers import is_changelist


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "time_zone")
    search_fields = ("name", "city")


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "location",
        "mailbox_email",
        "capacity",
        "shared_space",
        "price",
        "charge_code",
    )
    list_filter = ("location", "is_active", "shared_space")
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


def link_double_bookings(form: forms.ModelForm) -> None:
    """A double booking's message names the reservation in the way as a link to it."""
    errors = form.errors.get(NON_FIELD_ERRORS)
    for error in errors.data if errors else []:
        if isinstance(error, RoomDoubleBooked) and error.blocking is not None:
            error.message = occupied_html(error.blocking, error.blocking.get_absolute_url())


def _moment(value: str) -> dt.datetime | None:
    """An ISO time from a link; without an offset, in the admin's zone; None if it is none."""
    try:
        moment = parse_datetime(value.strip())
    except ValueError:  # well formed, but no such time (a 13th month)
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class ReservationForm(forms.ModelForm):
    def _post_clean(self) -> None:
        super()._post_clean()  # the model's clean(): the room must be free
        link_double_bookings(self)


class RefusesDoubleBookingMixin:
    """A reservation booked in the room between the form's check and the save (another
    person, the sync) is refused by the save: said as a message, and nothing is saved."""

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, *args, **kwargs)
        except RoomDoubleBooked as exc:
            self.message_user(request, f"Not saved: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        except SeriesClashes as exc:
            self.message_user(request, f"Not saved: {' '.join(exc.messages)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Reservation)
class ReservationAdmin(
    SeriesEditsMixin,
    RefusesDoubleBookingMixin,
    UuidSearchMixin,
    InboundReadOnlyMixin,
    admin.ModelAdmin,
):
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
    readonly_fields = (
        "uuid",
        "direction",
        "organizer_email",
        "created_at",
        "updated_at",
        "series_buttons",
    )
    form = ReservationForm
    inlines = (ServiceReservationInline,)
    ordering = ("-start",)
    show_full_result_count = False

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateTimeField) and field is not None:
            # Said beside the field: the browser's own zone plays no part.
            field.help_text = f"In {timezone.get_current_timezone_name()}."
        return field

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A link may fill in the form (Find a free room's Book): start and end come as ISO
        times, shown in the admin's zone by the split date and time widgets."""
        initial = super().get_changeform_initial_data(request)
        for name in ("start", "end"):
            if isinstance(initial.get(name), str):
                moment = _moment(initial.pop(name))
                if moment is not None:
                    initial[name] = timezone.localtime(moment)
        return initial

    fieldsets = (
        (None, {"fields": ("title", "description", ("start", "end"), "status")}),
        ("Booked for", {"fields": ("resource", "staff", "account", "series", "series_buttons")}),
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
class ReservationSeriesAdmin(
    RefusesDoubleBookingMixin, UuidSearchMixin, InboundReadOnlyMixin, admin.ModelAdmin
):
    """A series is booked from a pattern (SeriesPatternForm): its occurrences are made at
    once and it goes to Outlook complete."""

    list_display = ("title", "resource", "status", "direction", "occurrence_count")
    add_fieldsets = (
        (None, {"fields": ("title", "resource", "staff", "account", "occurrence_status")}),
        (
            "Repeats",
            {
                "fields": (
                    "pattern",
                    "interval",
                    "days_of_week",
                    ("day_of_month", "index", "month"),
                    "first_day",
                    ("starts_at", "ends_at"),
                    "ends",
                    ("last_day", "count"),
                    "skip_clashes",
                )
            },
        ),
    )
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

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = SeriesPatternForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else (*self.readonly_fields, "pattern_in_words")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        obj.recurrence = form.recurrence()
        obj.status = data["occurrence_status"]
        booked = book_series(
            obj,
            data["starts_at"],
            data["ends_at"],
            max_occurrences(obj.resource, obj.staff),
            data["skip_clashes"],
        )
        skipped = f"; left out: {len(booked.skipped)}" if booked.skipped else ""
        self.message_user(request, f"Booked: {form.describe()}{skipped}.", messages.SUCCESS)

    @admin.display(description="repeats")
    def pattern_in_words(self, obj: ReservationSeries) -> str:
        first = obj.occurrences.order_by("start").first()
        if first is None or not obj.recurrence.get("pattern"):
            return "—"
        local = ZoneInfo(first.resource.location.time_zone)
        return in_words(
            obj.recurrence,
            first.start.astimezone(local).time(),
            first.end.astimezone(local).time(),
            obj.occurrences.count(),
        )

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

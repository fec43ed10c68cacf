"""The admin's buttons on an occurrence: cancel this one, change or cancel this and
following, change all (bookings/series_edits.py does the work)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from bookings.models import Reservation, ReservationStatus
from bookings.recurrence import RecurrenceError
from bookings.series import SeriesClashes
from bookings.series_edits import (
    NotAnOccurrence,
    cancel_following,
    change_all,
    change_following,
    editable_series,
    usual_times,
)
from bookings.series_form import SeriesChangeForm, pattern_initial

# scope -> the button's words
SCOPES = {
    "cancel-this": "Cancel this occurrence",
    "following": "Change this and following",
    "cancel-following": "Cancel this and following",
    "all": "Change all occurrences",
}


class SeriesEditsMixin:
    """For the reservation admin: `series_buttons` (a read-only field) and their pages."""

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/series/<str:scope>/",
                self.admin_site.admin_view(self.series_edit_view),
                name="bookings_reservation_series_edit",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Series")
    def series_buttons(self, obj: Reservation | None) -> str:
        if obj is None or obj.pk is None or not obj.series_id or obj.series.is_inbound:
            return "—"
        return format_html(
            '<a href="{}">{}</a><div class="bb-series-buttons">{}</div>',
            reverse("admin:bookings_reservationseries_change", args=[obj.series_id]),
            obj.series,
            format_html_join(
                " ",
                '<a class="button" href="{}">{}</a>',
                (
                    (reverse("admin:bookings_reservation_series_edit", args=[obj.pk, s]), label)
                    for s, label in SCOPES.items()
                ),
            ),
        )

    def series_edit_view(self, request: HttpRequest, object_id: str, scope: str) -> HttpResponse:
        reservation = self.get_object(request, unquote(object_id))
        if reservation is None or scope not in SCOPES:
            raise Http404
        if not self.has_change_permission(request, reservation):
            raise PermissionDenied
        back = reverse("admin:bookings_reservation_change", args=[reservation.pk])
        try:
            series = editable_series(reservation)
        except NotAnOccurrence as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(back)
        zone = ZoneInfo(reservation.resource.location.time_zone)
        day = reservation.start.astimezone(zone).date()
        form = None
        if scope in ("following", "all"):
            form = self._series_form(request, series, scope, day)
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                done = self._apply(request, reservation, scope, form)
            except SeriesClashes as exc:
                form.add_error(None, [*exc.messages, _CLASH_HINT])
            except (RecurrenceError, NotAnOccurrence) as exc:
                form.add_error(None, str(exc))
            else:
                return HttpResponseRedirect(done)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{SCOPES[scope]}: {series}",
            "reservation": reservation,
            "series": series,
            "day": day,
            "scope": scope,
            "form": form,
            "back": back,
        }
        return TemplateResponse(request, "admin/bookings/reservation/series_edit.html", context)

    @staticmethod
    def _series_form(request: HttpRequest, series: Any, scope: str, day: Any) -> SeriesChangeForm:
        times = usual_times(series) or (None, None)
        initial = {
            "title": series.title,
            "starts_at": times[0],
            "ends_at": times[1],
            **pattern_initial(series.recurrence),
        }
        if scope == "following":
            initial["first_day"] = day
        return SeriesChangeForm(request.POST if request.method == "POST" else None, initial=initial)

    def _apply(self, request: HttpRequest, reservation: Reservation, scope: str, form: Any) -> str:
        """Do it, say it; where to go next."""
        if scope == "cancel-this":
            if reservation.can_be_cancelled:
                reservation.status = ReservationStatus.CANCELLED
                reservation.save()
            self.message_user(request, f"Cancelled {reservation}.", messages.SUCCESS)
            return reverse("admin:bookings_reservation_change", args=[reservation.pk])
        if scope == "cancel-following":
            edited = cancel_following(reservation)
            said = f"Cancelled {len(edited.cancelled)} occurrence(s) from {reservation}"
        elif scope == "following":
            edited = change_following(reservation, form.changes())
            said = f"Changed {reservation} and the following occurrences (a series of their own)"
        else:
            edited = change_all(reservation.series, form.changes())
            said = f"Changed all occurrences of {edited.series}"
        left_out = f"; left out (cancelled): {len(edited.skipped)}" if edited.skipped else ""
        self.message_user(request, f"{said}{left_out}.", messages.SUCCESS)
        return reverse("admin:bookings_reservationseries_change", args=[edited.series.pk])


_CLASH_HINT = (
    "Tick “Leave out the occurrences that would clash” to change the others, or choose other times."
)

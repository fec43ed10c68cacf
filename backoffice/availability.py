"""The "Find a free room" admin page: a location's rooms for a time on one day, free or not,
what is in the way, and a Book link to the reservation form filled in
(syncconnections.availability does the work, as for the API)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from bookings.models import Location
from syncconnections import availability

# Finding a free room is reading reservations (and the rooms' Outlook free/busy); booking
# one is adding a reservation.
PERMISSION = "bookings.view_reservation"
BOOK_PERMISSION = "bookings.add_reservation"


class FreeRoomForm(forms.Form):
    location = forms.ModelChoiceField(Location.objects.order_by("name"))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label="To", widget=forms.TimeInput(attrs={"type": "time"}))
    capacity = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, help_text="People it must seat."
    )

    def clean(self) -> dict[str, Any]:
        values = super().clean()
        if self.errors:
            return values
        zone = ZoneInfo(values["location"].time_zone)
        values["start_at"] = dt.datetime.combine(values["day"], values["start"], zone)
        values["end_at"] = dt.datetime.combine(values["day"], values["end"], zone)
        try:
            availability.check_window(values["start_at"], values["end_at"])
        except availability.WindowError as exc:
            self.add_error("end", str(exc))
        return values


def free_room_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = FreeRoomForm(request.GET if "location" in request.GET else None, initial=_initial())
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Find a free room",
        "form": form,
    }
    if form.is_valid():
        values = form.cleaned_data
        results = availability.free_rooms(
            values["location"], values["start_at"], values["end_at"], values["capacity"]
        )
        can_book = request.user.has_perm(BOOK_PERMISSION)
        context.update(
            location=values["location"],
            start=values["start_at"],
            end=values["end_at"],
            rows=[(r, _book_url(r, values) if can_book and r.free else "") for r in results],
        )
    return TemplateResponse(request, "admin/bookings/reservation/free_rooms.html", context)


def _initial() -> dict[str, Any]:
    now = timezone.localtime()
    hour = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    return {
        "location": Location.objects.order_by("name").first(),
        "day": now.date(),
        "start": hour.time(),
        "end": (hour + dt.timedelta(hours=1)).time(),
    }


def _book_url(result: availability.RoomAvailability, values: dict[str, Any]) -> str:
    """The reservation form with the room and times filled in (with their offset: the form
    shows them in the admin's zone)."""
    query = {
        "resource": result.resource.pk,
        "start": values["start_at"].isoformat(),
        "end": values["end_at"].isoformat(),
    }
    return f"{reverse('admin:bookings_reservation_add')}?{urlencode(query)}"

"""The Planner admin page: a location's resources by hour for a day, optionally beside what
their Outlook calendars hold (syncconnections/planner.py does the work)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from bookings.models import Location, ReservationStatus
from syncconnections import planner

# Reading the planner is reading reservations; the Office 365 view shows the same rooms
# and day as Outlook has them, so it asks for nothing more.
PERMISSION = "bookings.view_reservation"


def planner_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    locations = list(Location.objects.order_by("name"))
    location = _chosen_location(locations, request.GET.get("location", ""))
    problems: list[str] = []
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Planner",
        "is_nav_sidebar_enabled": False,  # the grid needs the width
        "locations": locations,
        "location": location,
        "problems": problems,
        "statuses": ReservationStatus.choices,
    }
    if location is None:
        return TemplateResponse(request, "admin/syncconnections/planner.html", context)
    today = planner.today_at(location, timezone.now())
    day = _chosen_day(request.GET.get("day", ""), today, problems)
    with_outlook = request.GET.get("o365") == "1"
    params = {"location": location.pk, "day": day.isoformat()}
    context.update(
        planner=planner.build_planner(location, day, with_outlook=with_outlook),
        day=day,
        with_outlook=with_outlook,
        links={
            "previous": _query(params, with_outlook, day=day - dt.timedelta(days=1)),
            "today": _query(params, with_outlook, day=today),
            "next": _query(params, with_outlook, day=day + dt.timedelta(days=1)),
            "bookbridge": _query(params, False),
            "outlook": _query(params, True),
        },
    )
    return TemplateResponse(request, "admin/syncconnections/planner.html", context)


def _chosen_location(locations: list[Location], wanted: str) -> Location | None:
    chosen = next((loc for loc in locations if str(loc.pk) == wanted), None)
    return chosen or next(iter(locations), None)


def _chosen_day(value: str, today: dt.date, problems: list[str]) -> dt.date:
    if not value:
        return today
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"“{value}” is not a date (YYYY-MM-DD); showing today.")
        return today


def _query(params: dict[str, Any], with_outlook: bool, **changes: Any) -> str:
    values = {**params, **{k: str(v) for k, v in changes.items()}}
    if with_outlook:
        values["o365"] = "1"
    return "?" + urlencode(values)

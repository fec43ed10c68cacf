"""What a double booking is called, wherever one is refused (admin, API, sync, series)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString

# The functions take a bookings.models.Reservation (with its resource and location); the
# models import this module to raise its error, so it names none of them.
Reservation = Any

# The database's exclusion constraint (PostgreSQL): the last word when a reservation committed
# since the check.
OVERLAP_CONSTRAINT = "reservation_no_overlap"


def slot_text(reservation: Reservation) -> str:
    """Its time in its location's zone: "09:00–10:00", with the days when it spans several."""
    return times_text(reservation.start, reservation.end, reservation.resource.location.time_zone)


def times_text(start: dt.datetime, end: dt.datetime, time_zone: str) -> str:
    zone = ZoneInfo(time_zone)
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.date() == end.date():
        return f"{start:%H:%M}–{end:%H:%M}"
    return f"{start:%d %b %H:%M}–{end:%d %b %H:%M}"


def occupied_message(reservation: Reservation) -> str:
    """ "Boardroom is booked 09:00–10:00 by 'Sales sync' (#123)": the reservation in the way."""
    return (
        f"{reservation.resource.name} is booked {slot_text(reservation)} by "
        f"'{reservation.title}' (#{reservation.pk})"
    )


def occupied_html(reservation: Reservation, url: str) -> SafeString:
    """The same, with the reservation in the way as a link (for the admin)."""
    return format_html(
        "{} is booked {} by <a href=\"{}\">'{}' (#{})</a>",
        reservation.resource.name,
        slot_text(reservation),
        url,
        reservation.title,
        reservation.pk,
    )


class RoomDoubleBooked(ValidationError):
    """A reservation would overlap another that holds the same room; `blocking` is that one
    (None when it is gone again by the time it is looked for)."""

    def __init__(self, blocking: Reservation | None) -> None:
        self.blocking = blocking
        message = (
            occupied_message(blocking)
            if blocking is not None
            else "The room was booked for an overlapping time meanwhile; try again."
        )
        super().__init__(message, code="double_booked")

"""Times as people read them in the admin and its messages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.formats import date_format


def shown_in(moment: dt.datetime | None, time_zone: str) -> str:
    """A moment as the admin writes one (DATETIME_FORMAT), in a location's zone; "—" for
    none."""
    if moment is None:
        return "—"
    return date_format(moment.astimezone(ZoneInfo(time_zone)), "DATETIME_FORMAT")

"""Input fields shared by the API's serializers and list filters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# The largest id a database column holds: a larger one is refused rather than sent to it.
MAX_ID = 2**63 - 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def object_id(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


def yes_no(help_text: str) -> serializers.BooleanField:
    # A default of None: left out of a query string it means "either", not False.
    return serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=help_text
    )


def email_or_blank(help_text: str = "") -> serializers.CharField:
    """An e-mail address that may be empty: shown as a plain string, since "" is not an
    e-mail address by the schema's `format: email`."""
    return serializers.CharField(
        read_only=True, help_text=help_text or "An e-mail address, or empty."
    )


class BoundedDateTimeField(serializers.DateTimeField):
    """A date-time that can be shown in UTC and in the site's time zone: one at the very
    edge of the calendar (year 1 or 9999) is refused here rather than failing later.

    With `earliest`, nothing before it: a booking system has no business with 1890, when
    time zones still had offsets in seconds that ISO 8601 cannot write."""

    default_error_messages = {"too_early": "Use a moment from {earliest:%Y-%m-%d} on."}

    def __init__(self, *, earliest: dt.datetime | None = None, **kwargs: Any) -> None:
        self.earliest = earliest
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.datetime:
        return self.bounded(super().to_internal_value(value))

    def bounded(self, moment: dt.datetime) -> dt.datetime:
        try:
            moment.astimezone(dt.UTC)
            timezone.localtime(moment)
        except (OverflowError, ValueError):
            self.fail("overflow")
        if self.earliest and moment < self.earliest:
            self.fail("too_early", earliest=self.earliest)
        return moment


@extend_schema_field(OpenApiTypes.STR)
class MomentField(BoundedDateTimeField):
    """A date-time (ISO 8601), or a date meaning a whole day in the site's time zone: from
    its first moment, or up to its end with `end_of_day` (so `until=2026-12-07` includes
    the 7th)."""

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            try:
                day = dt.date.fromisoformat(value.strip())
                if self.end_of_day:
                    day += dt.timedelta(days=1)
            except (ValueError, OverflowError):
                self.fail("invalid", format="YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss][+HH:MM|Z]")
            return self.bounded(timezone.make_aware(dt.datetime.combine(day, dt.time.min)))
        return super().to_internal_value(value)

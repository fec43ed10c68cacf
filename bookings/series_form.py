"""The admin's "book a series" form: a pattern in fields, never JSON. It builds Graph's
patternedRecurrence (what the series stores and Outlook receives), lists the occurrences
that clash, and books the series with bookings.series."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from bookings.models import ReservationSeries, ReservationStatus, overlapping_pairs
from bookings.recurrence import INDEX, MONTHS, RecurrenceError, in_words, occurrences
from bookings.series import BOOKABLE_STATUSES, SeriesClashes, max_occurrences, occurrences_of
from bookings.series_edits import Changes

PATTERNS = [
    ("daily", "Daily"),
    ("weekly", "Weekly, on the days ticked"),
    ("absoluteMonthly", "Monthly, on a day of the month"),
    ("relativeMonthly", "Monthly, on e.g. the second Tuesday"),
    ("absoluteYearly", "Yearly, on a date"),
    ("relativeYearly", "Yearly, on e.g. the last Thursday of November"),
]
WEEKDAYS = [
    (d, d.capitalize())
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
]
ENDS = [("endDate", "On a date"), ("numbered", "After a number of occurrences")]


class PatternFields(forms.Form):
    """A pattern in fields, and the patternedRecurrence they make."""

    pattern = forms.ChoiceField(choices=PATTERNS, initial="weekly")
    interval = forms.IntegerField(min_value=1, max_value=99, initial=1, help_text="Every N.")
    days_of_week = forms.MultipleChoiceField(
        choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    day_of_month = forms.IntegerField(min_value=1, max_value=31, required=False)
    index = forms.ChoiceField(choices=[(i, i) for i in INDEX], required=False)
    month = forms.TypedChoiceField(
        choices=[("", "—"), *((n, name) for n, name in enumerate(MONTHS, 1))],
        coerce=int,
        required=False,
        empty_value=None,
    )
    first_day = forms.DateField(label="From", help_text="The first day the pattern may fall on.")
    ends = forms.ChoiceField(choices=ENDS, initial="endDate", widget=forms.RadioSelect)
    last_day = forms.DateField(label="Until", required=False)
    count = forms.IntegerField(label="Occurrences", min_value=1, required=False)

    def recurrence(self) -> dict[str, Any]:
        data = self.cleaned_data
        pattern: dict[str, Any] = {"type": data["pattern"], "interval": data["interval"]}
        kind = data["pattern"]
        if kind == "weekly" or kind.startswith("relative"):
            pattern["daysOfWeek"] = list(data.get("days_of_week") or [])
        if kind == "weekly":
            pattern["firstDayOfWeek"] = "monday"
        if kind.startswith("absolute"):
            pattern["dayOfMonth"] = data.get("day_of_month")
        if kind.startswith("relative"):
            pattern["index"] = data.get("index") or "first"
        if kind.endswith("Yearly"):
            pattern["month"] = data.get("month")
        range_: dict[str, Any] = {"type": data["ends"], "startDate": data["first_day"].isoformat()}
        if data["ends"] == "endDate":
            range_["endDate"] = data["last_day"].isoformat() if data.get("last_day") else ""
        else:
            range_["numberOfOccurrences"] = data.get("count")
        return {"pattern": pattern, "range": range_}

    def range_is_said(self, data: dict[str, Any]) -> bool:
        if data["ends"] == "endDate" and not data.get("last_day"):
            self.add_error("last_day", "Say until when.")
            return False
        if data["ends"] == "numbered" and not data.get("count"):
            self.add_error("count", "Say how many occurrences.")
            return False
        return True


def pattern_initial(recurrence: dict[str, Any]) -> dict[str, Any]:
    """The fields of PatternFields showing a stored patternedRecurrence."""
    pattern, range_ = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    return {
        "pattern": pattern.get("type"),
        "interval": pattern.get("interval", 1),
        "days_of_week": pattern.get("daysOfWeek") or [],
        "day_of_month": pattern.get("dayOfMonth"),
        "index": pattern.get("index"),
        "month": pattern.get("month"),
        "first_day": range_.get("startDate"),
        "ends": "numbered" if range_.get("type") == "numbered" else "endDate",
        "last_day": range_.get("endDate"),
        "count": range_.get("numberOfOccurrences"),
    }


class SeriesPatternForm(PatternFields, forms.ModelForm):
    starts_at = forms.TimeField(label="Start time")
    ends_at = forms.TimeField(label="End time", help_text="In the room's location's time zone.")
    occurrence_status = forms.ChoiceField(
        choices=BOOKABLE_STATUSES,
        initial=ReservationStatus.CONFIRMED,
        label="Status",
    )
    skip_clashes = forms.BooleanField(
        required=False,
        label="Leave out the occurrences that clash",
        help_text="They become exceptions of the series; the others are booked.",
    )

    class Meta:
        model = ReservationSeries
        fields = ("title", "resource", "staff", "account")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or not data.get("resource") or not self.range_is_said(data):
            return data
        try:
            slots = occurrences(
                self.recurrence(),
                data["starts_at"],
                data["ends_at"],
                data["resource"].location.time_zone,
                max_occurrences(data["resource"], data.get("staff")),
            )
        except RecurrenceError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not slots:
            raise forms.ValidationError("The pattern falls on no day in this period.")
        self.slots = slots
        self._check_clashes(data, slots)
        return data

    def _check_clashes(
        self, data: dict[str, Any], slots: list[tuple[dt.datetime, dt.datetime]]
    ) -> None:
        planned = ReservationSeries(resource=data["resource"], status=data["occurrence_status"])
        clashes = overlapping_pairs(occurrences_of(planned, slots))
        if clashes and not data.get("skip_clashes"):
            raise forms.ValidationError(
                [
                    *SeriesClashes(clashes).messages,
                    f"{len(clashes)} of {len(slots)} occurrences clash: tick “Leave out the "
                    "occurrences that clash” to book the others, or change the pattern.",
                ]
            )

    def describe(self) -> str:
        data = self.cleaned_data
        return in_words(self.recurrence(), data["starts_at"], data["ends_at"], len(self.slots))


class SeriesChangeForm(PatternFields):
    """Changing several occurrences at once: title and times, and for all of them the
    pattern too. Blank times keep the series' own."""

    title = forms.CharField(max_length=255)
    starts_at = forms.TimeField(label="Start time")
    ends_at = forms.TimeField(label="End time", help_text="In the room's location's time zone.")
    new_pattern = forms.BooleanField(
        required=False, label="Change the pattern too", help_text="Else it stays as it is."
    )
    skip_clashes = forms.BooleanField(
        required=False,
        label="Leave out the occurrences that would clash",
        help_text="They are cancelled; the others change.",
    )

    PATTERN_FIELDS = ("pattern", "interval", "first_day", "ends")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.PATTERN_FIELDS:  # needed only with new_pattern (see clean)
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("new_pattern") or self.errors:
            return data
        for name in self.PATTERN_FIELDS:
            if not data.get(name):
                self.add_error(name, "Say it, to change the pattern.")
        if not self.errors and self.range_is_said(data):
            data["recurrence"] = self.recurrence()
        return data

    def changes(self) -> Changes:
        data = self.cleaned_data
        return Changes(
            title=data["title"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            recurrence=data.get("recurrence"),
            skip_clashes=data["skip_clashes"],
        )

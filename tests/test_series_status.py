"""A series' status follows its occurrences (the recurring reservation rules)."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import ReservationSeries, series_status
from bookings.models import ReservationStatus as S
from tests import factories


@pytest.mark.parametrize(
    ("occurrences", "expected"),
    [
        ([S.CONFIRMED, S.CONFIRMED], S.CONFIRMED),
        ([S.CANCELLED, S.CANCELLED], S.CANCELLED),
        ([S.CLOSED, S.CLOSED], S.CLOSED),
        ([S.CANCELLED, S.CLOSED, S.CANCELLED], S.CLOSED),
        ([S.CONFIRMED, S.CANCELLED], None),
        ([S.OPTION, S.CONFIRMED], None),
        ([S.COMPLETED, S.CLOSED], None),
        ([], None),
    ],
)
def test_series_status_rules(occurrences, expected):
    assert series_status(occurrences) == expected


@pytest.mark.django_db
def test_refresh_status_stores_the_derived_status():
    series = factories.ReservationSeriesFactory(status=S.CONFIRMED)
    for status in (S.CANCELLED, S.CLOSED):
        factories.ReservationFactory(series=series, resource=series.resource, status=status)
    ReservationSeries.objects.filter(pk=series.pk).update(status=S.CONFIRMED)
    series.refresh_from_db()

    assert series.refresh_status() is True
    series.refresh_from_db()
    assert series.status == S.CLOSED
    assert series.refresh_status() is False


@pytest.mark.django_db
def test_the_series_follows_when_an_occurrence_changes_status():
    series = factories.ReservationSeriesFactory(status=S.CONFIRMED)
    occurrences = [
        factories.ReservationFactory(
            series=series,
            resource=series.resource,
            status=S.CONFIRMED,
            start=timezone.now() + dt.timedelta(days=day),
            end=timezone.now() + dt.timedelta(days=day, hours=1),
        )
        for day in (1, 2)
    ]

    for occurrence in occurrences:
        occurrence.status = S.CANCELLED
        occurrence.save()

    series.refresh_from_db()
    assert series.status == S.CANCELLED

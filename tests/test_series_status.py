"""A series' status follows its occurrences (the recurring reservation rules)."""

import pytest

from bookings.models import ReservationStatus as S
from bookings.models import series_status
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

    assert series.refresh_status() is True
    series.refresh_from_db()
    assert series.status == S.CLOSED
    assert series.refresh_status() is False

"""The status a series takes from its occurrences (bookings.models.series_status), for what
tests/test_series_status.py's table leaves out: single occurrences, mixes with a third
status, and the plain strings the database gives."""

import pytest

from bookings.models import ReservationStatus as S
from bookings.models import series_status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.CONCEPT, None),
        (S.OPTION, None),
        (S.CONFIRMED, S.CONFIRMED),
        (S.COMPLETED, None),
        (S.CANCELLED, S.CANCELLED),
        (S.CLOSED, S.CLOSED),
    ],
)
def test_one_occurrence_gives_its_status_only_when_a_rule_names_it(status, expected):
    # Given a series of one occurrence
    # When its status is derived
    found = series_status([status])
    # Then only confirmed, cancelled and closed carry over
    assert found == expected


@pytest.mark.parametrize("third", [S.CONCEPT, S.OPTION, S.CONFIRMED, S.COMPLETED])
def test_closed_and_cancelled_with_any_other_status_say_nothing(third):
    # Given closed and cancelled occurrences and one of another status
    # When the status is derived
    found = series_status([S.CLOSED, S.CANCELLED, third])
    # Then no rule applies
    assert found is None


def test_the_plain_strings_of_a_query_and_a_one_pass_iterable_are_read():
    # Given statuses as values_list gives them: plain strings, read once
    statuses = (value for value in ["cancelled", "closed", "cancelled"])
    # When the status is derived
    found = series_status(statuses)
    # Then it is the closed status
    assert found == "closed"
    assert found is S.CLOSED

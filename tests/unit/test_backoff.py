"""common.backoff: the one back-off formula every queue and client uses."""

import pytest

from common.backoff import backoff


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(0, 30.0), (1, 30.0), (2, 60.0), (3, 120.0), (7, 1920.0), (8, 3600.0), (30, 3600.0)],
)
def test_without_jitter_it_doubles_from_the_first_wait_up_to_the_longest(attempt, expected):
    assert backoff(attempt, first=30, longest=3600) == expected


def test_jitter_takes_at_most_its_share_off(monkeypatch):
    # Given the random draw at its extremes
    monkeypatch.setattr("common.backoff.random.random", lambda: 0.0)
    assert backoff(2, first=30, longest=3600, jitter=0.2) == 60.0
    monkeypatch.setattr("common.backoff.random.random", lambda: 0.999)
    # Then a fifth at most comes off
    assert backoff(2, first=30, longest=3600, jitter=0.2) == pytest.approx(48.012)


def test_full_jitter_spreads_over_the_whole_wait():
    waits = [backoff(4, first=1, longest=30, jitter=1.0) for _ in range(500)]
    assert all(0 < wait <= 8 for wait in waits)
    assert min(waits) < 2 and max(waits) > 6  # spread, not bunched


def test_the_clients_retry_and_the_queues_share_it():
    from accounts_pms.retry import wait_after

    assert [wait_after(n).total_seconds() for n in (0, 1, 2, 8, 9)] == [
        300.0,
        300.0,
        600.0,
        21600.0,
        21600.0,
    ]

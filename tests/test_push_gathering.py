"""A push waits while bookings keep coming, so that they share its calls, and no longer."""

import pytest

from syncconnections.outbound import worker
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)  # outside a transaction: it may wait


class Clock:
    """Stands in for the worker's `time`: each sleep moves the clock on, and the bookings
    due by then arrive."""

    def __init__(self, arrivals):
        self.now, self.sleeps, self.arrivals = 0.0, [], dict(arrivals)

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        for _ in range(self.arrivals.pop(len(self.sleeps), 0)):
            factories.OutboxEntryFactory()


@pytest.fixture
def clock(monkeypatch):
    def install(arrivals):
        clock = Clock(arrivals)
        monkeypatch.setattr(worker, "time", clock)
        return clock

    return install


def test_a_lone_booking_waits_half_a_second(clock):
    factories.OutboxEntryFactory()
    waited = clock({})

    worker.gather()

    assert waited.sleeps == [0.5]


def test_bookings_coming_are_waited_for_until_none_comes(clock):
    factories.OutboxEntryFactory()
    waited = clock({1: 3, 2: 2})  # three during the first half second, two in the second

    worker.gather()

    assert waited.sleeps == [0.5, 0.5, 0.5]


def test_a_push_waits_two_seconds_at_most(clock):
    factories.OutboxEntryFactory()
    waited = clock(dict.fromkeys(range(1, 10), 1))  # one every half second

    worker.gather()

    assert waited.sleeps == [0.5] * 4


def test_twenty_bookings_go_at_once(clock):
    for _ in range(20):
        factories.OutboxEntryFactory()
    waited = clock({})

    worker.gather()

    assert waited.sleeps == []


def test_nothing_to_push_is_no_wait(clock):
    waited = clock({1: 1})

    worker.gather()

    assert waited.sleeps == []

"""The planner's comparison of one room's reservations with its Outlook events
(syncconnections.planner.compare): which side holds what the other does not."""

import datetime as dt
import uuid

import pytest

from bookings.models import Reservation, ReservationStatus
from syncconnections.planner import (
    CANCELLED_IN_BOOKBRIDGE,
    CANCELLED_IN_OUTLOOK,
    MISSING_IN_OUTLOOK,
    NOT_IN_BOOKBRIDGE,
    Differences,
    OutlookItem,
    compare,
)

START = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)


def reservation(pk, status=ReservationStatus.CONFIRMED):
    """An unsaved reservation: compare reads only its pk, uuid and status."""
    return Reservation(pk=pk, uuid=uuid.uuid4(), status=status, title=f"R{pk}")


def event(event_id, transaction_id="", cancelled=False):
    return OutlookItem(
        event_id, event_id, START, START + dt.timedelta(hours=1), transaction_id, cancelled
    )


def test_nothing_on_either_side_is_no_difference():
    # Given a room with no reservations and no events
    # When they are compared
    found = compare([], [], {})
    # Then nothing is flagged
    assert found == Differences(reservations={}, events={})


def test_an_event_named_by_the_link_and_by_its_transaction_id_is_one_match():
    # Given a reservation whose link and transactionId both name the one event
    booked = reservation(1)
    item = event("e-1", transaction_id=str(booked.uuid))
    # When compared
    found = compare([booked], [item], {1: {"e-1"}})
    # Then they agree
    assert found == Differences(reservations={}, events={})


def test_a_reservation_with_one_live_event_of_two_is_in_outlook():
    # Given a reservation linked to two events (two calendars of the room), one cancelled
    booked = reservation(1)
    items = [event("e-live"), event("e-cancelled", cancelled=True)]
    # When compared
    found = compare([booked], items, {1: {"e-live", "e-cancelled"}})
    # Then neither side is flagged: one event is still there
    assert found == Differences(reservations={}, events={})


def test_a_reservation_whose_every_event_is_cancelled_is_cancelled_in_outlook():
    # Given a reservation linked to two events, both cancelled in Outlook
    booked = reservation(1)
    items = [event("e-a", cancelled=True), event("e-b", cancelled=True)]
    # When compared
    found = compare([booked], items, {1: {"e-a", "e-b"}})
    # Then the reservation is flagged, the cancelled events are not
    assert found == Differences(reservations={1: CANCELLED_IN_OUTLOOK}, events={})


def test_an_event_with_one_live_reservation_of_two_is_in_bookbridge():
    # Given one event belonging to a cancelled reservation (link) and a live one (transactionId)
    cancelled = reservation(1, ReservationStatus.CANCELLED)
    live = reservation(2, ReservationStatus.OPTION)
    item = event("e-1", transaction_id=str(live.uuid))
    # When compared
    found = compare([cancelled, live], [item], {1: {"e-1"}})
    # Then nothing is flagged
    assert found == Differences(reservations={}, events={})


def test_an_event_whose_every_reservation_is_cancelled_is_cancelled_in_bookbridge():
    # Given one live event that two cancelled reservations name
    first = reservation(1, ReservationStatus.CANCELLED)
    second = reservation(2, ReservationStatus.CANCELLED)
    item = event("e-1", transaction_id=str(second.uuid))
    # When compared
    found = compare([first, second], [item], {1: {"e-1"}})
    # Then the event is flagged, the cancelled reservations are not
    assert found == Differences(reservations={}, events={"e-1": CANCELLED_IN_BOOKBRIDGE})


def test_a_link_to_an_event_the_calendar_no_longer_lists_is_missing_in_outlook():
    # Given a live reservation whose link names an event not in the calendar view
    booked = reservation(1)
    # When compared with an empty calendar
    found = compare([booked], [], {1: {"e-gone"}})
    # Then the reservation is missing in Outlook
    assert found == Differences(reservations={1: MISSING_IN_OUTLOOK}, events={})


@pytest.mark.parametrize(
    "status", [ReservationStatus.CONCEPT, ReservationStatus.OPTION, ReservationStatus.COMPLETED]
)
def test_every_status_but_cancelled_is_expected_in_outlook(status):
    # Given a reservation of that status with no event
    # When compared with an empty calendar
    found = compare([reservation(1, status)], [], {})
    # Then it is missing in Outlook
    assert found == Differences(reservations={1: MISSING_IN_OUTLOOK}, events={})


def test_links_and_transaction_ids_of_other_reservations_match_nothing():
    # Given an event linked to a reservation not on this room's day, and one whose
    # transactionId is no reservation's UUID
    booked = reservation(1)
    items = [event("e-other-room"), event("e-foreign", transaction_id=str(uuid.uuid4()))]
    # When compared
    found = compare([booked], items, {99: {"e-other-room"}})
    # Then both events and the reservation are flagged
    assert found == Differences(
        reservations={1: MISSING_IN_OUTLOOK},
        events={"e-other-room": NOT_IN_BOOKBRIDGE, "e-foreign": NOT_IN_BOOKBRIDGE},
    )


def test_reservations_and_events_may_be_read_once():
    # Given the two sides as one-pass iterators
    booked = reservation(1)
    items = iter([event("e-1", transaction_id=str(booked.uuid)), event("e-2")])
    # When compared
    found = compare(iter([booked, reservation(2)]), items, {})
    # Then each is seen once and matched as from lists
    assert found == Differences(
        reservations={2: MISSING_IN_OUTLOOK}, events={"e-2": NOT_IN_BOOKBRIDGE}
    )


def test_every_event_with_the_reservation_s_uuid_belongs_to_it():
    # Given a reservation sent to two calendars of its room, both events carrying its UUID
    # as transactionId, and no link stored for either
    booked = reservation(1)
    items = [
        event("e-room", transaction_id=str(booked.uuid)),
        event("e-shared", transaction_id=str(booked.uuid)),
    ]
    # When compared
    found = compare([booked], items, {})
    # Then both belong to it (the docstring's rule): nothing is flagged
    assert found == Differences(reservations={}, events={})

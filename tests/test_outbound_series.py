"""A recurring reservation goes to Outlook as one recurring event, within the tenant's limit."""

import pytest

from bookings.models import ReservationStatus
from errors.models import SyncError
from syncconnections.graph import Credentials, GraphClient
from syncconnections.models import OutlookEvent
from tests import factories
from tests.sync_helpers import at, graph_writes, last_request_id, weekday_series

pytestmark = pytest.mark.django_db


def test_a_series_becomes_one_recurring_event_with_linked_occurrences(sandbox, room):
    series, occurrences = weekday_series(room, 5)

    [event] = sandbox.events(room.user_id)
    assert event["type"] == "seriesMaster"
    assert event["transactionId"] == str(series.uuid)
    assert event["recurrence"]["range"] == {
        "type": "numbered",
        "startDate": "2026-12-07",
        "numberOfOccurrences": 5,
        "recurrenceTimeZone": "W. Europe Standard Time",
    }
    master = OutlookEvent.objects.get(kind="series")
    assert (master.series, master.event_id) == (series, event["id"])
    linked = {
        link.reservation_id: link.event_id
        for link in OutlookEvent.objects.filter(kind="occurrence")
    }
    assert set(linked) == {o.pk for o in occurrences}
    assert all(event_id.startswith(event["id"]) for event_id in linked.values())


def test_cancelling_one_occurrence_cancels_only_it(sandbox, room):
    _, occurrences = weekday_series(room, 5)
    link = OutlookEvent.objects.get(reservation=occurrences[2])
    since = last_request_id(sandbox)

    occurrences[2].status = ReservationStatus.CANCELLED
    occurrences[2].save()

    assert graph_writes(sandbox, since) == [
        ("DELETE", f"/v1.0/users/{room.user_id}/events/{link.event_id}")
    ]
    [event] = sandbox.events(room.user_id)
    assert event["cancelledOccurrences"] == ["20261209"]


def test_moving_one_occurrence_makes_an_exception(sandbox, room):
    _, occurrences = weekday_series(room, 3)
    link = OutlookEvent.objects.get(reservation=occurrences[1])

    occurrences[1].start, occurrences[1].end = at(8, 15), at(8, 16)
    occurrences[1].save()

    import requests

    seen = GraphClient(Credentials("sandbox", "sandbox-client", "sandbox-secret")).get_event(
        room.user_id, link.event_id
    )
    assert (seen["type"], seen["start"]["dateTime"]) == ("exception", "2026-12-08T14:00:00.0000000")
    assert requests  # imported for the client's session


def test_nothing_goes_out_before_all_occurrences_exist(sandbox, room):
    since = last_request_id(sandbox)
    series = factories.ReservationSeriesFactory(resource=room.resource)

    factories.ReservationFactory(series=series, resource=room.resource)

    assert graph_writes(sandbox, since) == []


def test_more_occurrences_than_the_tenant_allows_is_refused_whole(sandbox, room):
    room.tenant.max_occurrences = 4
    room.tenant.save()
    since = last_request_id(sandbox)

    weekday_series(room, 5)

    assert graph_writes(sandbox, since) == []
    assert OutlookEvent.objects.count() == 0
    [error] = SyncError.objects.all()
    assert (error.operation, error.stage) == ("create", "check occurrences")
    assert error.error_message == (
        "The series “Stand-up” has 5 occurrences; Contoso syncs at most 4 (max occurrences). "
        "Nothing was sent to Outlook."
    )


def test_a_long_series_is_linked_across_pages_of_instances(sandbox, room, monkeypatch):
    monkeypatch.setattr("syncconnections.graph.INSTANCES_PAGE", 5)

    weekday_series(room, 12)  # instances come in pages of 5: three pages

    assert len(sandbox.events(room.user_id)) == 1
    assert OutlookEvent.objects.filter(kind="occurrence").count() == 12
    assert OutlookEvent.objects.filter(kind="single").count() == 0
    pages = [r for r in sandbox.requests() if r["path"].endswith("/instances")]
    assert len(pages) == 3


def test_an_occurrence_deleted_before_the_series_went_out_is_cancelled_in_outlook(sandbox, room):
    series = factories.ReservationSeriesFactory(
        title="Stand-up",
        resource=room.resource,
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2026-12-07", "numberOfOccurrences": 3},
        },
    )
    for day in (7, 9):  # the 8th was deleted before the series was complete
        factories.ReservationFactory(
            series=series,
            resource=room.resource,
            title="Stand-up",
            start=at(day, 9),
            end=at(day, 9, 15),
        )

    series.occurrences_complete = True
    series.save()

    [event] = sandbox.events(room.user_id)
    assert event["cancelledOccurrences"] == ["20261208"]
    assert OutlookEvent.objects.filter(kind="occurrence").count() == 2
    assert OutlookEvent.objects.filter(kind="single").count() == 0


def test_an_occurrence_unlike_its_series_is_corrected(sandbox, room):
    series = factories.ReservationSeriesFactory(
        title="Stand-up",
        resource=room.resource,
        status=ReservationStatus.CONFIRMED,
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2026-12-07", "numberOfOccurrences": 2},
        },
    )
    first = factories.ReservationFactory(
        series=series, resource=room.resource, title="Stand-up", start=at(7, 9), end=at(7, 9, 15)
    )
    tentative = factories.ReservationFactory(
        series=series,
        resource=room.resource,
        title="Stand-up",
        status=ReservationStatus.OPTION,
        start=at(8, 9),
        end=at(8, 9, 15),
    )

    series.occurrences_complete = True
    series.save()

    client = GraphClient(Credentials("sandbox", "sandbox-client", "sandbox-secret"))
    shown = {
        link.reservation_id: client.get_event(room.user_id, link.event_id)["showAs"]
        for link in OutlookEvent.objects.filter(kind="occurrence")
    }
    assert shown == {first.pk: "busy", tentative.pk: "tentative"}

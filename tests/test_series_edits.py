"""Changing a series as calendars do (bookings/series_edits.py): this occurrence, this and
following (a split, as Outlook does it), or all; the end state in Bookbridge and in the
sandbox's calendar, over HTTPS."""

import datetime as dt

import pytest

from bookings.models import Reservation, ReservationSeries, ReservationStatus
from bookings.series import SeriesClashes, book_series
from bookings.series_edits import (
    Changes,
    NotAnOccurrence,
    cancel_following,
    change_all,
    change_following,
)
from syncconnections.graph import Credentials, GraphClient
from syncconnections.models import OutlookEvent
from tests import factories
from tests.helpers import error_of, member_of, messages_of
from tests.sync_helpers import at

pytestmark = pytest.mark.django_db

NINE, QUARTER_PAST = dt.time(9), dt.time(9, 15)
WEEKDAYS = {  # Monday 7 to Friday 11 December 2026
    "pattern": {"type": "daily", "interval": 1},
    "range": {"type": "numbered", "startDate": "2026-12-07", "numberOfOccurrences": 5},
}


def stand_up(room, recurrence=WEEKDAYS):
    series = ReservationSeries(
        title="Stand-up",
        resource=room.resource,
        status=ReservationStatus.CONFIRMED,
        recurrence={k: dict(v) for k, v in recurrence.items()},
    )
    booked = book_series(series, NINE, QUARTER_PAST, cap=180)
    return booked.series, booked.occurrences


def client():
    return GraphClient(Credentials("sandbox", "sandbox-client", "sandbox-secret"))


def outlook(sandbox, room):
    """What the room's calendar shows: {master subject: [(local start, subject) of each
    instance]} of the series that show any, and the masters' ranges."""
    masters = sandbox.events(room.user_id)
    shown, ranges = {}, {}
    for master in masters:
        if master.get("type") != "seriesMaster":
            continue
        found = client().all_pages(
            f"{client().event_path(room.user_id, master['id'])}/instances",
            params={
                "startDateTime": "2026-12-01T00:00:00Z",
                "endDateTime": "2027-01-31T00:00:00Z",
            },
        )
        found.sort(key=lambda i: i["start"]["dateTime"])
        if not found:
            continue  # a series with every occurrence cancelled shows nothing
        assert master["subject"] not in shown
        shown[master["subject"]] = [
            (_local(i["start"]), i["subject"]) for i in found if not i.get("isCancelled")
        ]
        ranges[master["subject"]] = {
            k: v for k, v in master["recurrence"]["range"].items() if k != "recurrenceTimeZone"
        }
    return shown, ranges


def _local(graph_time):
    moment = dt.datetime.fromisoformat(graph_time["dateTime"][:19]).replace(tzinfo=dt.UTC)
    return moment.astimezone(at(7, 0).tzinfo).strftime("%a %d %H:%M")


def links_agree(room):
    """Every occurrence that holds its room is linked to the instance at its own time."""
    graph = client()
    for link in OutlookEvent.objects.filter(kind="occurrence").select_related("reservation"):
        seen = graph.get_event(room.user_id, link.event_id)
        assert _local(seen["start"]) == link.reservation.start.astimezone(at(7, 0).tzinfo).strftime(
            "%a %d %H:%M"
        )
    wanted = set(
        Reservation.objects.exclude(status=ReservationStatus.CANCELLED).values_list("pk", flat=True)
    )
    assert (
        set(OutlookEvent.objects.filter(kind="occurrence").values_list("reservation_id", flat=True))
        == wanted
    )


def test_all_occurrences_move_and_an_exception_stays_where_it_was(sandbox, room):
    series, occurrences = stand_up(room)
    moved = occurrences[1]
    moved.start, moved.end = at(8, 11), at(8, 11, 30)
    moved.save()

    edited = change_all(
        series, Changes(title="Team stand-up", starts_at=dt.time(9, 30), ends_at=dt.time(10))
    )

    assert [(r.start, r.title) for r in Reservation.objects.order_by("start")] == [
        (at(7, 9, 30), "Team stand-up"),
        (at(8, 11), "Stand-up"),  # the exception, kept on its day
        (at(9, 9, 30), "Team stand-up"),
        (at(10, 9, 30), "Team stand-up"),
        (at(11, 9, 30), "Team stand-up"),
    ]
    assert len(edited.changed) == 4
    shown, _ = outlook(sandbox, room)
    assert shown["Team stand-up"] == [
        ("Mon 07 09:30", "Team stand-up"),
        ("Tue 08 11:00", "Stand-up"),  # Outlook dropped the exception; it was sent again
        ("Wed 09 09:30", "Team stand-up"),
        ("Thu 10 09:30", "Team stand-up"),
        ("Fri 11 09:30", "Team stand-up"),
    ]
    links_agree(room)


def test_a_new_pattern_regenerates_the_occurrences(sandbox, room):
    series, _ = stand_up(room)
    mondays_to_wednesdays = {
        "pattern": {
            "type": "weekly",
            "interval": 1,
            "daysOfWeek": ["monday", "wednesday", "friday"],
            "firstDayOfWeek": "monday",
        },
        "range": {"type": "endDate", "startDate": "2026-12-07", "endDate": "2026-12-16"},
    }

    edited = change_all(series, Changes(recurrence=mondays_to_wednesdays))

    held = Reservation.objects.exclude(status=ReservationStatus.CANCELLED).order_by("start")
    assert [r.start for r in held] == [at(7, 9), at(9, 9), at(11, 9), at(14, 9), at(16, 9)]
    assert sorted(r.start for r in edited.cancelled) == [at(8, 9), at(10, 9)]
    assert [r.start for r in edited.created] == [at(14, 9), at(16, 9)]
    shown, ranges = outlook(sandbox, room)
    assert [start for start, _ in shown["Stand-up"]] == [
        "Mon 07 09:00",
        "Wed 09 09:00",
        "Fri 11 09:00",
        "Mon 14 09:00",
        "Wed 16 09:00",
    ]
    assert ranges["Stand-up"]["endDate"] == "2026-12-16"
    links_agree(room)


def test_cancelling_this_and_following_ends_the_series_the_day_before(sandbox, room):
    series, occurrences = stand_up(room)

    edited = cancel_following(occurrences[2])

    series.refresh_from_db()
    assert series.recurrence["range"] == {
        "type": "endDate",
        "startDate": "2026-12-07",
        "endDate": "2026-12-08",
    }
    assert [(r.start, r.status, r.series_id) for r in Reservation.objects.order_by("start")] == [
        (at(7, 9), "confirmed", series.pk),
        (at(8, 9), "confirmed", series.pk),
        (at(9, 9), "cancelled", edited.series.pk),
        (at(10, 9), "cancelled", edited.series.pk),
        (at(11, 9), "cancelled", edited.series.pk),
    ]
    assert edited.series.status == ReservationStatus.CANCELLED
    shown, ranges = outlook(sandbox, room)
    assert shown == {"Stand-up": [("Mon 07 09:00", "Stand-up"), ("Tue 08 09:00", "Stand-up")]}
    assert ranges["Stand-up"]["endDate"] == "2026-12-08"
    links_agree(room)


def test_changing_this_and_following_splits_the_series_in_outlook_too(sandbox, room):
    series, occurrences = stand_up(room)
    occurrences[0].status = ReservationStatus.CANCELLED  # an exception before the split
    occurrences[0].save()

    edited = change_following(
        occurrences[2], Changes(title="Planning", starts_at=dt.time(14), ends_at=dt.time(15))
    )

    assert edited.series.pk != series.pk
    assert [
        (r.start, r.title, r.series_id)
        for r in Reservation.objects.exclude(status="cancelled").order_by("start")
    ] == [
        (at(8, 9), "Stand-up", series.pk),
        (at(9, 14), "Planning", edited.series.pk),
        (at(10, 14), "Planning", edited.series.pk),
        (at(11, 14), "Planning", edited.series.pk),
    ]
    assert edited.series.recurrence["range"] == {
        "type": "numbered",
        "startDate": "2026-12-09",
        "numberOfOccurrences": 3,
    }
    shown, ranges = outlook(sandbox, room)
    # Outlook redrew the old series when it ended it: its cancelled Monday was sent again.
    assert shown["Stand-up"] == [("Tue 08 09:00", "Stand-up")]
    assert shown["Planning"] == [
        ("Wed 09 14:00", "Planning"),
        ("Thu 10 14:00", "Planning"),
        ("Fri 11 14:00", "Planning"),
    ]
    assert set(shown) == {"Stand-up", "Planning"}
    assert ranges["Stand-up"]["endDate"] == "2026-12-08"
    links_agree(room)


def test_changing_one_occurrence_leaves_the_recurring_event_alone(sandbox, room):
    _, occurrences = stand_up(room)
    [master] = OutlookEvent.objects.filter(kind="series")
    occurrences[0].start, occurrences[0].end = at(7, 16), at(7, 17)

    occurrences[0].save()

    master.refresh_from_db()
    seen = client().get_event(room.user_id, master.event_id)
    assert seen["start"]["dateTime"].startswith("2026-12-07T08:00")  # 09:00 Amsterdam
    shown, _ = outlook(sandbox, room)
    assert shown["Stand-up"][0] == ("Mon 07 16:00", "Stand-up")
    links_agree(room)


def test_a_change_that_would_double_book_is_refused_or_leaves_those_days_out(sandbox, room):
    series, _ = stand_up(room)
    factories.ReservationFactory(resource=room.resource, start=at(9, 14), end=at(9, 15))

    with pytest.raises(SeriesClashes) as refused:
        change_all(series, Changes(starts_at=dt.time(14), ends_at=dt.time(14, 30)))

    assert [o.start for o, _ in refused.value.clashes] == [at(9, 14)]
    assert Reservation.objects.filter(series=series, start__hour=13).count() == 0  # 14:00 CET
    edited = change_all(
        series, Changes(starts_at=dt.time(14), ends_at=dt.time(14, 30), skip_clashes=True)
    )
    assert [r.start for r in edited.cancelled] == [at(9, 9)]
    assert sorted(
        r.start for r in Reservation.objects.filter(series=series).exclude(status="cancelled")
    ) == [at(7, 14), at(8, 14), at(10, 14), at(11, 14)]


def test_an_inbound_series_is_changed_only_in_outlook(db):
    series = factories.ReservationSeriesFactory(direction="inbound")
    occurrence = factories.ReservationFactory(
        series=series, resource=series.resource, direction="inbound"
    )

    with pytest.raises(NotAnOccurrence, match="made in Outlook"):
        change_following(occurrence, Changes(title="Mine"))
    with pytest.raises(NotAnOccurrence, match="not an occurrence"):
        cancel_following(factories.ReservationFactory())


# --- in the admin ------------------------------------------------------------------------------


@pytest.fixture
def boardroom():
    return factories.ResourceFactory(name="Boardroom", location__time_zone="Europe/Amsterdam")


def booked_in(resource):
    series = ReservationSeries(
        title="Stand-up",
        resource=resource,
        status=ReservationStatus.CONFIRMED,
        recurrence={k: dict(v) for k, v in WEEKDAYS.items()},
    )
    return book_series(series, NINE, QUARTER_PAST, cap=180).occurrences


def test_an_occurrence_page_offers_the_series_buttons(client, boardroom):
    occurrences = booked_in(boardroom)
    client.force_login(member_of("Back office"))

    page = client.get(f"/admin/bookings/reservation/{occurrences[2].pk}/change/").content.decode()

    for scope, words in [
        ("cancel-this", "Cancel this occurrence"),
        ("following", "Change this and following"),
        ("cancel-following", "Cancel this and following"),
        ("all", "Change all occurrences"),
    ]:
        url = f"/admin/bookings/reservation/{occurrences[2].pk}/series/{scope}/"
        assert f'<a class="button" href="{url}">{words}</a>' in page
    single = factories.ReservationFactory(resource=boardroom)
    page = client.get(f"/admin/bookings/reservation/{single.pk}/change/").content.decode()
    assert "/series/" not in page


def test_the_admin_changes_this_and_following_from_a_form(client, boardroom):
    occurrences = booked_in(boardroom)
    client.force_login(member_of("Back office"))
    url = f"/admin/bookings/reservation/{occurrences[3].pk}/series/following/"
    form = client.get(url).context["form"]
    assert (form.initial["title"], form.initial["starts_at"], str(form.initial["first_day"])) == (
        "Stand-up",
        NINE,
        "2026-12-10",
    )

    response = client.post(
        url, {"title": "Retro", "starts_at": "16:00", "ends_at": "17:00", "ends": "numbered"}
    )

    assert response.status_code == 302, response.context["form"].errors
    new = ReservationSeries.objects.get(title="Retro")
    assert response["Location"] == f"/admin/bookings/reservationseries/{new.pk}/change/"
    assert messages_of(response) == [
        f"Changed {occurrences[3]} and the following occurrences (a series of their own)."
    ]
    assert [(r.start, r.title) for r in new.occurrences.order_by("start")] == [
        (at(10, 16), "Retro"),
        (at(11, 16), "Retro"),
    ]


def test_the_admin_refuses_a_change_that_clashes_and_names_the_day(client, boardroom):
    occurrences = booked_in(boardroom)
    factories.ReservationFactory(
        resource=boardroom, title="Board meeting", start=at(9, 16), end=at(9, 17)
    )
    client.force_login(member_of("Back office"))

    response = client.post(
        f"/admin/bookings/reservation/{occurrences[0].pk}/series/all/",
        {"title": "Stand-up", "starts_at": "16:00", "ends_at": "16:30", "ends": "numbered"},
    )

    assert response.status_code == 200
    [first, hint] = response.context["form"].non_field_errors()
    assert first.startswith("Wed 09 Dec 2026: ")
    assert "Board meeting" in first
    assert hint.startswith("Tick “Leave out the occurrences that would clash”")
    assert Reservation.objects.filter(start=at(7, 16)).count() == 0


def test_the_admin_cancels_this_and_following(client, boardroom):
    occurrences = booked_in(boardroom)
    client.force_login(member_of("Back office"))
    url = f"/admin/bookings/reservation/{occurrences[3].pk}/series/cancel-following/"
    assert "Yes, cancel" in client.get(url).content.decode()

    response = client.post(url)

    assert messages_of(response) == [f"Cancelled 2 occurrence(s) from {occurrences[3]}."]
    assert (
        list(Reservation.objects.order_by("start").values_list("status", flat=True))
        == ["confirmed"] * 3 + ["cancelled"] * 2
    )


def test_support_cannot_change_a_series(client, boardroom):
    occurrences = booked_in(boardroom)
    client.force_login(member_of("Support"))

    response = client.post(f"/admin/bookings/reservation/{occurrences[3].pk}/series/cancel-this/")

    assert response.status_code == 403
    assert Reservation.objects.filter(status="cancelled").count() == 0


# --- through the API ---------------------------------------------------------------------------


def test_the_api_changes_all_and_this_and_following(client, boardroom):
    occurrences = booked_in(boardroom)
    series = occurrences[0].series
    client.force_login(member_of("Back office"))

    everything = client.post(
        f"/api/reservation-series/{series.pk}/change/",
        {"title": "Daily", "start_time": "08:30", "end_time": "08:45"},
        content_type="application/json",
    )
    following = client.post(
        f"/api/reservations/{occurrences[3].pk}/change-following/",
        {"start_time": "10:00", "end_time": "10:30"},
        content_type="application/json",
    )

    assert everything.status_code == 200, everything.json()
    assert everything.json()["changed"] == [o.pk for o in occurrences]
    assert following.status_code == 200, following.json()
    new_series = following.json()["series"]
    assert (new_series["title"], new_series["occurrence_count"]) == ("Daily", 2)
    listed = client.get(f"/api/reservations/?series={new_series['id']}").json()["results"]
    assert [r["start"] for r in listed] == [
        "2026-12-10T10:00:00+01:00",
        "2026-12-11T10:00:00+01:00",
    ]


def test_the_api_cancels_this_and_following(client, boardroom):
    occurrences = booked_in(boardroom)
    client.force_login(member_of("Back office"))

    response = client.post(f"/api/reservations/{occurrences[1].pk}/cancel-following/")

    assert response.status_code == 200
    assert response.json()["cancelled"] == [o.pk for o in occurrences[1:]]
    series = ReservationSeries.objects.get(pk=occurrences[0].series_id)
    assert series.recurrence["range"]["endDate"] == "2026-12-07"


def test_the_api_says_why_a_series_change_cannot_be_made(client, boardroom):
    occurrences = booked_in(boardroom)
    factories.ReservationFactory(resource=boardroom, start=at(8, 12), end=at(8, 13))
    inbound = factories.ReservationSeriesFactory(direction="inbound")
    factories.ReservationFactory(series=inbound, resource=inbound.resource, direction="inbound")
    client.force_login(member_of("Back office"))
    url = f"/api/reservation-series/{occurrences[0].series_id}/change/"

    clash = client.post(url, {"start_time": "12:00", "end_time": "12:30"}, "application/json")
    bad = client.post(url, {"recurrence": {"pattern": {}}}, "application/json")
    single = client.post(f"/api/reservations/{factories.ReservationFactory().pk}/cancel-following/")
    outlook = client.post(
        f"/api/reservation-series/{inbound.pk}/change/", {"title": "x"}, "application/json"
    )

    assert clash.status_code == 409
    assert [c["start"] for c in error_of(clash)["details"]["clashes"]] == [
        "2026-12-08T12:00:00+01:00"
    ]
    assert (bad.status_code, error_of(bad)["field"]) == (400, "recurrence")
    assert (single.status_code, error_of(single)["message"]) == (
        400,
        "This reservation is not an occurrence of a series.",
    )
    assert (outlook.status_code, error_of(outlook)["message"]) == (
        403,
        "This series was made in Outlook: it is changed only there.",
    )
    assert Reservation.objects.filter(start=at(7, 12)).count() == 0

"""The sandbox's Google Calendar stand-in answers as Google documents (sandbox/google_calendar.py
names the pages): over HTTPS, with a token from its token endpoint signed by google-auth."""

import pytest
import requests

from syncconnections.google import CALENDAR_SCOPE, GoogleTokens

ADMIN = "admin@fabrikam.test"
ROOM = "boardroom@fabrikam.test"
EVENTS = f"/calendar/v3/calendars/{ROOM}/events"


@pytest.fixture
def google(sandbox, sandbox_server):
    key = sandbox.google_service_account()
    sandbox.google_resource(ROOM, "Boardroom", capacity=12)
    token = GoogleTokens(key, ADMIN, [CALENDAR_SCOPE]).token()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.trust_env = False  # our CA bundle, not the environment's
    session.verify = str(sandbox_server.ca_file)

    def call(method, path, **kwargs):
        return session.request(method, f"{sandbox_server.url}{path}", timeout=10, **kwargs)

    return call


def meeting(**fields):
    return {
        "summary": "Board meeting",
        "start": {"dateTime": "2027-01-12T09:00:00+01:00"},
        "end": {"dateTime": "2027-01-12T10:00:00+01:00"},
        **fields,
    }


def reason_of(response):
    return response.json()["error"]["errors"][0]["reason"]


def test_an_event_inserted_with_our_id_is_read_back(google):
    made = google("POST", EVENTS, json=meeting(id="bb0042abc"))
    read = google("GET", f"{EVENTS}/bb0042abc")

    assert made.status_code == 200
    assert (read.status_code, read.json()["id"], read.json()["summary"]) == (
        200,
        "bb0042abc",
        "Board meeting",
    )
    assert read.json()["iCalUID"] == "bb0042abc@google.com"


@pytest.mark.parametrize("bad_id", ["bb42", "BB0042ABC", "bb0042xyz", "bb_0042"])
def test_an_id_outside_base32hex_or_too_short_is_a_400(google, bad_id):
    answer = google("POST", EVENTS, json=meeting(id=bad_id))

    assert answer.status_code == 400
    assert reason_of(answer) == "invalid"


def test_an_id_in_use_or_once_used_is_a_409_duplicate(google):
    google("POST", EVENTS, json=meeting(id="bb0042abc"))
    again = google("POST", EVENTS, json=meeting(id="bb0042abc"))
    google("DELETE", f"{EVENTS}/bb0042abc")
    after_delete = google("POST", EVENTS, json=meeting(id="bb0042abc"))

    assert (again.status_code, reason_of(again)) == (409, "duplicate")
    assert again.json()["error"]["message"] == "The requested identifier already exists."
    assert (after_delete.status_code, reason_of(after_delete)) == (409, "duplicate")


def test_deleting_twice_is_a_410_and_get_still_answers_cancelled(google):
    google("POST", EVENTS, json=meeting(id="bb0042abc"))

    first = google("DELETE", f"{EVENTS}/bb0042abc")
    second = google("DELETE", f"{EVENTS}/bb0042abc")
    read = google("GET", f"{EVENTS}/bb0042abc")
    never = google("GET", f"{EVENTS}/bb0099abc")

    assert first.status_code == 204
    assert (second.status_code, reason_of(second)) == (410, "deleted")
    assert (read.status_code, read.json()["status"]) == (200, "cancelled")
    assert (never.status_code, reason_of(never)) == (404, "notFound")


def test_a_patch_replaces_the_fields_given_and_counts_the_sequence(google):
    google("POST", EVENTS, json=meeting(id="bb0042abc", description="Agenda"))

    moved = google(
        "PATCH",
        f"{EVENTS}/bb0042abc",
        json={
            "start": {"dateTime": "2027-01-12T14:00:00+01:00"},
            "end": {"dateTime": "2027-01-12T15:00:00+01:00"},
        },
    )

    assert moved.status_code == 200
    body = moved.json()
    assert (body["start"]["dateTime"], body["description"], body["sequence"]) == (
        "2027-01-12T14:00:00+01:00",
        "Agenda",
        1,
    )


def test_incremental_sync_returns_changes_and_deletions_with_the_token_on_the_last_page(google):
    for n in range(3):
        google("POST", EVENTS, json=meeting(id=f"bb00{n}abc"))
    first = google("GET", EVENTS, params={"maxResults": 2})
    rest = google(
        "GET", EVENTS, params={"maxResults": 2, "pageToken": first.json()["nextPageToken"]}
    )
    token = rest.json()["nextSyncToken"]

    google("DELETE", f"{EVENTS}/bb000abc")
    google("PATCH", f"{EVENTS}/bb001abc", json={"summary": "Moved"})
    changes = google("GET", EVENTS, params={"syncToken": token})

    assert "nextSyncToken" not in first.json()
    assert [e["id"] for e in first.json()["items"] + rest.json()["items"]] == [
        "bb000abc",
        "bb001abc",
        "bb002abc",
    ]
    assert [(e["id"], e["status"]) for e in changes.json()["items"]] == [
        ("bb000abc", "cancelled"),
        ("bb001abc", "confirmed"),
    ]
    assert set(changes.json()["items"][0]) <= {"kind", "etag", "id", "status"}
    assert changes.json()["nextSyncToken"] != token


def test_a_full_list_leaves_out_deleted_events_unless_asked(google):
    google("POST", EVENTS, json=meeting(id="bb000abc"))
    google("POST", EVENTS, json=meeting(id="bb001abc"))
    google("DELETE", f"{EVENTS}/bb000abc")

    plain = google("GET", EVENTS)
    with_deleted = google("GET", EVENTS, params={"showDeleted": "true"})

    assert [e["id"] for e in plain.json()["items"]] == ["bb001abc"]
    # (no order is promised without orderBy)
    assert sorted(e["id"] for e in with_deleted.json()["items"]) == ["bb000abc", "bb001abc"]


def test_a_sync_token_with_a_time_bound_is_a_400_and_an_expired_one_a_410(google, sandbox):
    token = google("GET", EVENTS).json()["nextSyncToken"]

    bounded = google("GET", EVENTS, params={"syncToken": token, "timeMin": "2027-01-01T00:00:00Z"})
    sandbox.google_expire_sync(ROOM)
    expired = google("GET", EVENTS, params={"syncToken": token})

    assert bounded.status_code == 400
    assert (expired.status_code, reason_of(expired)) == (410, "fullSyncRequired")
    assert expired.json()["error"]["errors"][0]["location"] == "syncToken"


def test_a_user_who_is_no_admin_cannot_reach_a_rooms_calendar(google, sandbox, settings):
    key = sandbox.google_service_account(email="other@bookbridge-sync.iam.gserviceaccount.com")
    sandbox.google_user("anna@fabrikam.test")
    token = GoogleTokens(key, "anna@fabrikam.test", [CALENDAR_SCOPE]).token()

    refused = requests.get(
        f"{settings.GOOGLE_API_ROOT}{EVENTS}",
        headers={"Authorization": f"Bearer {token}"},
        verify=settings.GOOGLE_CA_BUNDLE,
        timeout=10,
    )

    assert (refused.status_code, reason_of(refused)) == (404, "notFound")


def test_a_state_file_of_a_sandbox_before_google_still_loads(tmp_path):
    import pickle

    from sandbox.state import State

    # Given the file an older sandbox saved: no Google part
    older = State()
    older.mailboxes["room@contoso.test"] = "kept"  # type: ignore[assignment]
    kept = {name: getattr(older, name) for name in State.KEPT if name != "google"}
    (tmp_path / "state.pickle").write_bytes(pickle.dumps(kept))

    # When this sandbox loads it
    state = State()
    loaded = state.load(tmp_path / "state.pickle")

    # Then the rest is kept and Google starts as new
    assert loaded
    assert state.mailboxes == {"room@contoso.test": "kept"}
    assert set(state.google.calendars) == {ADMIN}


def test_free_busy_for_more_than_fifty_calendars_is_a_400(google):
    answer = google(
        "POST",
        "/calendar/v3/freeBusy",
        json={
            "timeMin": "2027-01-12T00:00:00Z",
            "timeMax": "2027-01-13T00:00:00Z",
            "items": [{"id": f"room{n}@fabrikam.test"} for n in range(51)],
        },
    )

    assert (answer.status_code, reason_of(answer)) == (400, "tooManyCalendarsRequested")


def weekly(**fields):
    return {
        "summary": "Stand-up",
        "start": {"dateTime": "2027-01-05T09:00:00", "timeZone": "Europe/Amsterdam"},
        "end": {"dateTime": "2027-01-05T09:15:00", "timeZone": "Europe/Amsterdam"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
        **fields,
    }


def test_a_recurring_event_needs_its_start_time_zone_and_a_valid_rule(google):
    no_zone = weekly(start={"dateTime": "2027-01-05T09:00:00+01:00"})
    bad_rule = weekly(recurrence=["RRULE:FREQ=SOMETIMES"])

    assert reason_of(google("POST", EVENTS, json=no_zone)) == "required"
    assert reason_of(google("POST", EVENTS, json=bad_rule)) == "invalid"


def test_a_series_with_a_moved_and_a_cancelled_instance(google):
    google("POST", EVENTS, json=weekly(id="bbseries01"))
    instances = google("GET", f"{EVENTS}/bbseries01/instances").json()["items"]
    second, third = instances[1]["id"], instances[2]["id"]

    moved = google(
        "PATCH",
        f"{EVENTS}/{second}",
        json={
            "start": {"dateTime": "2027-01-12T10:00:00", "timeZone": "Europe/Amsterdam"},
            "end": {"dateTime": "2027-01-12T10:15:00", "timeZone": "Europe/Amsterdam"},
        },
    )
    cancelled = google("DELETE", f"{EVENTS}/{third}")
    after = google("GET", f"{EVENTS}/bbseries01/instances").json()["items"]
    singles = google("GET", EVENTS, params={"singleEvents": "true"}).json()["items"]
    plain = google("GET", EVENTS).json()["items"]

    # Instances are named by the series and their original start, in UTC
    assert [i["id"] for i in instances] == [
        "bbseries01_20270105T080000Z",
        "bbseries01_20270112T080000Z",
        "bbseries01_20270119T080000Z",
        "bbseries01_20270126T080000Z",
    ]
    assert instances[0]["recurringEventId"] == "bbseries01"
    assert moved.status_code == 200 and cancelled.status_code == 204
    # The moved one keeps its original start; the cancelled one is gone from the list
    assert [(i["id"], i["start"]["dateTime"]) for i in after] == [
        ("bbseries01_20270105T080000Z", "2027-01-05T09:00:00+01:00"),
        ("bbseries01_20270112T080000Z", "2027-01-12T10:00:00"),
        ("bbseries01_20270126T080000Z", "2027-01-26T09:00:00+01:00"),
    ]
    assert after[1]["originalStartTime"]["dateTime"] == "2027-01-12T09:00:00+01:00"
    assert [e["id"] for e in singles] == [i["id"] for i in after]
    # Without singleEvents: the series and its moved exception (the cancelled one is deleted)
    assert sorted(e["id"] for e in plain) == ["bbseries01", "bbseries01_20270112T080000Z"]


def test_a_room_declines_an_invitation_for_a_time_it_holds_unless_it_adds_all(google, sandbox):
    """support.google.com/calendar/answer/34584: "Auto-accept invitations that do not
    conflict" (a Workspace room's default) declines when the time is booked already;
    "Automatically add all invitations" accepts regardless."""
    sandbox.google_resource("hall@fabrikam.test", "Hall", acceptAll=True)
    google("POST", EVENTS, json=meeting(id="bbheld001"))  # the room's own booking, 9-10
    invite = meeting(
        attendees=[
            {"email": ROOM, "resource": True},
            {"email": "hall@fabrikam.test", "resource": True},
        ]
    )
    first = google("POST", "/calendar/v3/calendars/admin@fabrikam.test/events", json=invite)
    later = {"dateTime": "2027-01-12T11:00:00+01:00"}
    google(  # moved to a free time: the room answers again
        "PATCH",
        f"/calendar/v3/calendars/admin@fabrikam.test/events/{first.json()['id']}",
        json={"start": later, "end": {"dateTime": "2027-01-12T12:00:00+01:00"}},
    )

    def answer(calendar):
        copy = next(e for e in sandbox.google_events(calendar) if e["id"] == first.json()["id"])
        return [a["responseStatus"] for a in copy["attendees"] if a.get("self")]

    assert first.status_code == 200
    assert answer(ROOM) == ["accepted"]  # after the move
    assert answer("hall@fabrikam.test") == ["accepted"]
    sandbox.google_resource("annex@fabrikam.test", "Annex")
    google(
        "POST",
        "/calendar/v3/calendars/annex@fabrikam.test/events",
        json=meeting(id="bbheld002"),
    )
    clash = google(
        "POST",
        "/calendar/v3/calendars/admin@fabrikam.test/events",
        json=meeting(attendees=[{"email": "annex@fabrikam.test", "resource": True}]),
    )
    copies = [
        e for e in sandbox.google_events("annex@fabrikam.test") if e["id"] == clash.json()["id"]
    ]
    assert [a["responseStatus"] for a in copies[0]["attendees"]] == ["declined"]

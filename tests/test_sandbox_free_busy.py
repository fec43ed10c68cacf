"""The sandbox's free/busy (getSchedule), attendee responses and rooms' calendar processing
behave as Microsoft documents them (docs/sandbox.md)."""

import pytest

from syncconnections.graph import BatchRequest, Credentials, GraphClient, GraphError

ROOM = "room.maas@contoso.test"
ORGANIZER = "lisa@contoso.test"
GUEST = "anna@contoso.test"
APP = Credentials("sandbox", "sandbox-client", "sandbox-secret")
DAY = "2026-12-07"


def utc(hour, minute=0):
    return {"dateTime": f"{DAY}T{hour:02}:{minute:02}:00", "timeZone": "UTC"}


def event(subject, start, end, **extra):
    return {"subject": subject, "start": utc(*start), "end": utc(*end), **extra}


def schedule_body(addresses, start=(8,), end=(12,), **extra):
    return {"schedules": addresses, "startTime": utc(*start), "endTime": utc(*end), **extra}


@pytest.fixture
def graph(sandbox):
    sandbox.mailbox(ROOM)
    sandbox.mailbox(ORGANIZER, kind="user")
    sandbox.mailbox(GUEST, kind="user")
    return GraphClient(APP)


def get_schedule(graph, body, headers=None, mailbox=ROOM):
    return graph.call("POST", f"/users/{mailbox}/calendar/getSchedule", json=body, headers=headers)


def invite(sandbox, address, subject, start, end):
    """A meeting Lisa organizes with `address` invited; the organizer's event."""
    sandbox.outlook_create(address, organizerEmail=ORGANIZER, **event(subject, start, end))
    return next(e for e in sandbox.events(ORGANIZER) if e["subject"] == subject)


def response_of(organizers_event, address):
    attendee = next(
        a for a in organizers_event["attendees"] if a["emailAddress"]["address"] == address
    )
    return attendee.get("status", {}).get("response")


def test_get_schedule_lists_the_default_calendars_items_and_their_view(sandbox, graph):
    sandbox.outlook_create_many(
        ROOM,
        [
            event("Board", (9,), (10,), location={"displayName": "Maas"}),
            event("Maybe", (10,), (10, 30), showAs="tentative"),
            event("Lunch walk", (11,), (11, 30), showAs="free"),
            event("Secret", (11, 30), (12,), sensitivity="private"),
            event("Tomorrow", (13,), (14,)),
        ],
    )

    answer = get_schedule(graph, schedule_body([ROOM], availabilityViewInterval=30))

    [info] = answer["value"]
    assert info["scheduleId"] == ROOM
    assert info["availabilityView"] == "00221002"
    assert info["scheduleItems"] == [
        {
            "isPrivate": False,
            "status": "busy",
            "start": {"dateTime": f"{DAY}T09:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": f"{DAY}T10:00:00.0000000", "timeZone": "UTC"},
            "subject": "Board",
            "location": "Maas",
        },
        {
            "isPrivate": False,
            "status": "tentative",
            "start": {"dateTime": f"{DAY}T10:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": f"{DAY}T10:30:00.0000000", "timeZone": "UTC"},
            "subject": "Maybe",
            "location": "",
        },
        {
            "isPrivate": False,
            "status": "free",
            "start": {"dateTime": f"{DAY}T11:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": f"{DAY}T11:30:00.0000000", "timeZone": "UTC"},
            "subject": "Lunch walk",
            "location": "",
        },
        {
            "isPrivate": True,
            "status": "busy",
            "start": {"dateTime": f"{DAY}T11:30:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": f"{DAY}T12:00:00.0000000", "timeZone": "UTC"},
        },
    ]


def test_times_come_in_the_preferred_zone_and_keys_in_any_case(sandbox, graph):
    sandbox.outlook_create(ROOM, **event("Board", (9,), (10,)))
    body = {
        "Schedules": [ROOM],
        "StartTime": {"dateTime": f"{DAY}T09:00:00", "timeZone": "W. Europe Standard Time"},
        "EndTime": {"dateTime": f"{DAY}T12:00:00", "timeZone": "W. Europe Standard Time"},
        "availabilityViewInterval": "60",
    }

    answer = get_schedule(graph, body, {"Prefer": 'outlook.timezone="Europe/Berlin"'})

    [info] = answer["value"]
    assert info["availabilityView"] == "020"  # 09:00-12:00 Berlin is 08:00-11:00 UTC
    assert info["scheduleItems"][0]["start"] == {
        "dateTime": f"{DAY}T10:00:00.0000000",
        "timeZone": "Europe/Berlin",
    }


def test_cancelled_meetings_are_not_listed(sandbox, graph):
    copy = sandbox.outlook_create(
        ROOM, organizerEmail="guest@example.org", **event("X", (9,), (10,))
    )
    sandbox.outlook_cancel(ROOM, copy["id"])

    [info] = get_schedule(graph, schedule_body([ROOM]))["value"]

    assert (info["availabilityView"], info["scheduleItems"]) == ("00000000", [])


def test_an_unknown_address_gets_an_error_entry_not_a_failed_call(sandbox, graph):
    answer = get_schedule(graph, schedule_body(["nobody@contoso.test", ROOM]))

    assert answer["value"][0] == {
        "scheduleId": "nobody@contoso.test",
        "error": {
            "message": "Unable to resolve e-mail address nobody@contoso.test to an Active "
            "Directory object.",
            "responseCode": "5009",
        },
    }
    assert answer["value"][1]["scheduleId"] == ROOM


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            schedule_body([f"r{n}@contoso.test" for n in range(21)]),
            "ErrorMailboxDataArrayTooBig",
            "There are too many target users in the EmailAddress array. The allowed size = "
            "20; the actual size = 21.",
        ),
        (
            {
                "schedules": [ROOM],
                "startTime": utc(8),
                "endTime": {"dateTime": "2027-02-07T08:00:00", "timeZone": "UTC"},
            },
            "ErrorInvalidTimeInterval",
            "The time period must end after it starts and be less than 62 days long.",
        ),
        (
            schedule_body([ROOM], start=(9,), end=(9,)),
            "ErrorInvalidTimeInterval",
            "The time period must end after it starts and be less than 62 days long.",
        ),
        (
            schedule_body([ROOM], availabilityViewInterval=4),
            "ErrorInvalidParameter",
            "availabilityViewInterval must be from 5 to 1440 minutes.",
        ),
        (
            schedule_body([]),
            "ErrorInvalidParameter",
            "schedules must list addresses.",
        ),
    ],
)
def test_the_documented_limits(graph, body, code, message):
    with pytest.raises(GraphError) as caught:
        get_schedule(graph, body)

    assert (caught.value.status, caught.value.code, caught.value.message) == (400, code, message)


def test_a_minute_under_sixty_two_days_is_within_the_limit(graph):
    body = {
        "schedules": [ROOM],
        "startTime": utc(8),
        "endTime": {"dateTime": "2027-02-07T07:59:00", "timeZone": "UTC"},
        "availabilityViewInterval": 1440,
    }

    [info] = get_schedule(graph, body)["value"]

    assert len(info["availabilityView"]) == 62


def test_get_schedule_needs_a_calendars_permission(sandbox, graph):
    sandbox.permissions(["User.Read.All"])

    with pytest.raises(GraphError) as caught:
        get_schedule(graph, schedule_body([ROOM]))

    assert (caught.value.status, caught.value.code) == (403, "ErrorAccessDenied")


def test_get_schedule_works_inside_a_batch(sandbox, graph):
    sandbox.outlook_create(ROOM, **event("Board", (9,), (10,)))
    request = BatchRequest(
        "1", "POST", f"/users/{ROOM}/calendar/getSchedule", schedule_body([ROOM])
    )

    [result] = graph.batch([request])

    assert result.status == 200
    assert result.body["value"][0]["availabilityView"] == "00220000"
    assert [r["inner"] for r in sandbox.requests() if "getSchedule" in r["path"]] == [True]


# --- rooms' calendar processing --------------------------------------------------------------


def test_a_room_declines_an_invitation_that_clashes(sandbox, graph):
    sandbox.outlook_create(ROOM, **event("Booked", (9,), (10,)))

    organizers = invite(sandbox, ROOM, "Clash", (9, 30), (10, 30))

    assert [e["subject"] for e in sandbox.events(ROOM)] == ["Booked"]
    assert response_of(organizers, ROOM) == "declined"


def test_a_room_accepts_an_invitation_at_a_free_time(sandbox, graph):
    sandbox.outlook_create(ROOM, **event("Booked", (9,), (10,)))
    sandbox.outlook_create(ROOM, **event("Free", (10,), (11,), showAs="free"))
    gone = sandbox.outlook_create(
        ROOM, organizerEmail="x@example.org", **event("Old", (10,), (11,))
    )
    sandbox.outlook_cancel(ROOM, gone["id"])

    organizers = invite(sandbox, ROOM, "Next", (10,), (11,))

    assert "Next" in [e["subject"] for e in sandbox.events(ROOM)]
    assert response_of(organizers, ROOM) == "accepted"


def test_a_room_allowing_conflicts_accepts_a_clash(sandbox, graph):
    sandbox.calendar_processing(ROOM, allow_conflicts=True)
    sandbox.outlook_create(ROOM, **event("Booked", (9,), (10,)))

    organizers = invite(sandbox, ROOM, "Clash", (9, 30), (10, 30))

    assert sorted(e["subject"] for e in sandbox.events(ROOM)) == ["Booked", "Clash"]
    assert response_of(organizers, ROOM) == "accepted"


def test_a_room_on_auto_update_holds_the_invitation_unanswered(sandbox, graph):
    assert sandbox.calendar_processing(ROOM, automate_processing="AutoUpdate") == {
        "automate_processing": "AutoUpdate",
        "allow_conflicts": False,
    }
    sandbox.outlook_create(ROOM, **event("Booked", (9,), (10,)))

    organizers = invite(sandbox, ROOM, "Clash", (9, 30), (10, 30))

    assert sorted(e["subject"] for e in sandbox.events(ROOM)) == ["Booked", "Clash"]
    assert response_of(organizers, ROOM) is None


def test_a_clashing_occurrence_declines_the_whole_series(sandbox, graph):
    sandbox.outlook_create(ROOM, **event("Booked", (9,), (10,)))
    recurrence = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "numbered", "startDate": "2026-12-05", "numberOfOccurrences": 5},
    }
    start = {"dateTime": "2026-12-05T09:00:00", "timeZone": "UTC"}
    end = {"dateTime": "2026-12-05T10:00:00", "timeZone": "UTC"}
    sandbox.outlook_create(
        ROOM,
        organizerEmail=ORGANIZER,
        subject="Daily",
        start=start,
        end=end,
        recurrence=recurrence,
    )

    assert [e["subject"] for e in sandbox.events(ROOM)] == ["Booked"]


def test_events_written_into_a_room_calendar_are_never_declined(sandbox, graph):
    first = graph.create_event(ROOM, event("Ours", (9,), (10,)))
    second = graph.create_event(ROOM, event("Ours too", (9,), (10,)))

    assert {e["id"] for e in sandbox.events(ROOM)} == {first["id"], second["id"]}


def test_an_invitation_that_clashes_with_a_direct_write_is_declined(sandbox, graph):
    graph.create_event(ROOM, event("Written by an app", (9,), (10,)))

    organizers = invite(sandbox, ROOM, "Clash", (9,), (10,))

    assert response_of(organizers, ROOM) == "declined"


def test_seeded_rooms_may_allow_conflicts(sandbox, graph):
    sandbox.seed(rooms=[{"address": "room.hall@contoso.test", "allow_conflicts": True}])
    sandbox.outlook_create("room.hall@contoso.test", **event("Booked", (9,), (10,)))

    organizers = invite(sandbox, "room.hall@contoso.test", "Clash", (9,), (10,))

    assert response_of(organizers, "room.hall@contoso.test") == "accepted"


# --- attendee responses ------------------------------------------------------------------------


def test_an_attendee_declines_the_meeting_leaves_their_calendar(sandbox, graph):
    invite(sandbox, GUEST, "Review", (9,), (10,))
    [copy] = sandbox.events(GUEST)

    graph.decline_event(GUEST, copy["id"], "Away that day")

    assert sandbox.events(GUEST) == []
    [organizers] = sandbox.events(ORGANIZER)
    assert response_of(organizers, GUEST) == "declined"
    declines = [r for r in sandbox.requests() if r["path"].endswith("/decline")]
    assert [(r["status"], r["body"]) for r in declines] == [
        (202, {"comment": "Away that day", "sendResponse": True})
    ]


def test_a_decline_without_a_response_leaves_the_organizer_unaware(sandbox, graph):
    invite(sandbox, GUEST, "Review", (9,), (10,))
    [copy] = sandbox.events(GUEST)

    graph.call("POST", f"/users/{GUEST}/events/{copy['id']}/decline", json={"sendResponse": False})

    assert sandbox.events(GUEST) == []
    assert response_of(sandbox.events(ORGANIZER)[0], GUEST) is None


def test_an_attendee_accepts_tentatively(sandbox, graph):
    invite(sandbox, GUEST, "Review", (9,), (10,))
    [copy] = sandbox.events(GUEST)

    graph.call("POST", f"/users/{GUEST}/events/{copy['id']}/tentativelyAccept", json={})

    [copy] = sandbox.events(GUEST)
    assert copy["showAs"] == "tentative"
    assert response_of(sandbox.events(ORGANIZER)[0], GUEST) == "tentativelyAccepted"


def test_the_organizer_cannot_decline_their_own_meeting(sandbox, graph):
    organizers = invite(sandbox, GUEST, "Review", (9,), (10,))

    with pytest.raises(GraphError) as caught:
        graph.decline_event(ORGANIZER, organizers["id"])

    assert (caught.value.status, caught.value.code) == (400, "ErrorInvalidRequest")
    assert len(sandbox.events(ORGANIZER)) == 1


def test_a_proposed_time_needs_a_response(sandbox, graph):
    invite(sandbox, GUEST, "Review", (9,), (10,))
    [copy] = sandbox.events(GUEST)
    body = {"sendResponse": False, "proposedNewTime": {"start": utc(11), "end": utc(12)}}

    with pytest.raises(GraphError) as caught:
        graph.call("POST", f"/users/{GUEST}/events/{copy['id']}/decline", json=body)

    assert caught.value.status == 400
    assert len(sandbox.events(GUEST)) == 1

"""GraphClient's free/busy and decline calls, against the sandbox."""

import datetime as dt

import pytest

from syncconnections.graph import Credentials, GraphClient, GraphError

ROOM = "room.maas@contoso.test"
HALL = "room.hall@contoso.test"
ORGANIZER = "lisa@contoso.test"
APP = Credentials("sandbox", "sandbox-client", "sandbox-secret")
START = dt.datetime(2026, 12, 7, 8, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)


def utc(hour):
    return {"dateTime": f"2026-12-07T{hour:02}:00:00", "timeZone": "UTC"}


@pytest.fixture
def graph(sandbox):
    for address in (ROOM, HALL):
        sandbox.mailbox(address)
    sandbox.mailbox(ORGANIZER, kind="user")
    sandbox.outlook_create(ROOM, subject="Board", start=utc(9), end=utc(10))
    return GraphClient(APP)


def test_get_schedule_sends_the_documented_body_and_reads_utc(sandbox, graph):
    amsterdam = START.astimezone(dt.timezone(dt.timedelta(hours=1)))

    value = graph.get_schedule(HALL, [ROOM, HALL], amsterdam, END, interval=60)

    assert [(i["scheduleId"], i["availabilityView"]) for i in value] == [
        (ROOM, "0200"),
        (HALL, "0000"),
    ]
    assert value[0]["scheduleItems"][0]["start"] == {
        "dateTime": "2026-12-07T09:00:00.0000000",
        "timeZone": "UTC",
    }
    [call] = [r for r in sandbox.requests() if r["path"].endswith("/getSchedule")]
    assert (call["method"], call["path"], call["status"]) == (
        "POST",
        f"/v1.0/users/{HALL}/calendar/getSchedule",
        200,
    )
    assert call["body"] == {
        "schedules": [ROOM, HALL],
        "startTime": {"dateTime": "2026-12-07T08:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2026-12-07T12:00:00", "timeZone": "UTC"},
        "availabilityViewInterval": 60,
    }


def test_get_schedule_refuses_more_than_twenty_addresses_before_calling(sandbox, graph):
    addresses = [f"room{n}@contoso.test" for n in range(21)]

    with pytest.raises(ValueError, match="at most 20 addresses"):
        graph.get_schedule(ROOM, addresses, START, END)

    assert [r for r in sandbox.requests() if "getSchedule" in r["path"]] == []


def test_an_unknown_address_is_an_entry_with_an_error(graph):
    value = graph.get_schedule(ROOM, ["gone@contoso.test"], START, END)

    assert value == [
        {
            "scheduleId": "gone@contoso.test",
            "error": {
                "message": "Unable to resolve e-mail address gone@contoso.test to an Active "
                "Directory object.",
                "responseCode": "5009",
            },
        }
    ]


def test_get_schedule_of_an_unknown_mailbox_fails(graph):
    with pytest.raises(GraphError) as caught:
        graph.get_schedule("gone@contoso.test", [ROOM], START, END)

    assert (caught.value.status, caught.value.code) == (404, "ErrorInvalidUser")


def test_get_schedule_is_sent_again_after_a_throttle(sandbox, graph):
    sandbox.fault("getSchedule", status=429, retry_after=0)

    value = graph.get_schedule(ROOM, [ROOM], START, END)

    assert value[0]["availabilityView"] == "00220000"
    statuses = [r["status"] for r in sandbox.requests() if r["path"].endswith("/getSchedule")]
    assert statuses == [429, 200]


def test_schedule_requests_in_one_batch(sandbox, graph):
    requests = [
        graph.schedule_request("a", ROOM, [ROOM], START, END),
        graph.schedule_request("b", HALL, [HALL], START, END, interval=240),
    ]

    results = graph.batch(requests)

    assert [(r.id, r.status, r.ok) for r in results] == [("a", 200, True), ("b", 200, True)]
    assert [r.body["value"][0]["availabilityView"] for r in results] == ["00220000", "0"]
    calls = [r for r in sandbox.requests() if not r["inner"]]
    assert [(c["method"], c["path"]) for c in calls if c["path"].startswith("/v1.0")] == [
        ("POST", "/v1.0/$batch")
    ]


def invite(sandbox, address):
    return sandbox.outlook_create(
        address, organizerEmail=ORGANIZER, subject="Review", start=utc(11), end=utc(12)
    )


def test_decline_event(sandbox, graph):
    copy = invite(sandbox, HALL)

    assert graph.decline_event(HALL, copy["id"], "Booked elsewhere") is None

    assert sandbox.events(HALL) == []
    [organizers] = sandbox.events(ORGANIZER)
    [hall] = [a for a in organizers["attendees"] if a["emailAddress"]["address"] == HALL]
    assert hall["status"]["response"] == "declined"


def test_decline_event_request_in_a_batch(sandbox, graph):
    copy = invite(sandbox, HALL)

    [result] = graph.batch([graph.decline_event_request("1", HALL, copy["id"], "No")])

    assert (result.status, result.ok) == (202, True)
    assert sandbox.events(HALL) == []


def test_declining_twice_finds_no_event(sandbox, graph):
    copy = invite(sandbox, HALL)
    graph.decline_event(HALL, copy["id"])

    with pytest.raises(GraphError) as caught:
        graph.decline_event(HALL, copy["id"])

    assert (caught.value.status, caught.value.code) == (404, "ErrorItemNotFound")

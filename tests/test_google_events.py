"""GoogleClient's event calls against the sandbox's Calendar stand-in over HTTPS: an insert sent
twice (its answer lost) is adopted, never duplicated; a deleted event's id is restored; rate
limits are waited out; changes are read with sync tokens, and a token Google drops asks for a
full read."""

import uuid

import pytest

from syncconnections.google import GoogleClient, GoogleResyncNeeded, event_id

pytestmark = pytest.mark.django_db
ADMIN = "admin@fabrikam.test"
ROOM = "boardroom@fabrikam.test"


@pytest.fixture
def client(sandbox):
    key = sandbox.google_service_account()
    sandbox.google_resource(ROOM, "Boardroom")
    return GoogleClient(key, ADMIN, sleep=lambda seconds: None)


def meeting(**fields):
    return {
        "summary": "Board meeting",
        "start": {"dateTime": "2027-01-12T09:00:00+01:00"},
        "end": {"dateTime": "2027-01-12T10:00:00+01:00"},
        **fields,
    }


def test_the_event_id_is_the_reservations_uuid_in_base32hex():
    key = uuid.UUID("0b6f1f4e-8b1c-4c57-9a55-2a2d8f1b7c11")

    assert event_id(key) == "bb0b6f1f4e8b1c4c579a552a2d8f1b7c11"


def test_an_insert_whose_answer_was_lost_is_sent_again_and_adopted(client, sandbox):
    # Given Google makes the event but the answer never arrives
    sandbox.call(
        "POST",
        "faults",
        {
            "path": f"^/calendar/v3/calendars/{ROOM}/events$",
            "method": "POST",
            "kind": "drop_after_write",
        },
    )

    # When the client inserts it
    event, adopted = client.insert_event(ROOM, "bb0042abc", meeting())

    # Then the second send found the first event (409) and took it: one event in the room
    assert (event["id"], event["status"], adopted) == ("bb0042abc", "confirmed", True)
    pages = list(client.event_changes(ROOM))
    assert [e["id"] for items, _ in pages for e in items] == ["bb0042abc"]
    posts = [
        r
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"].startswith("/calendar/")
    ]
    assert [r["status"] for r in posts] == [None, 409]  # the first answer was never sent


def test_a_deleted_events_id_is_restored_not_reused(client):
    client.insert_event(ROOM, "bb0042abc", meeting())
    assert client.delete_event(ROOM, "bb0042abc") is True

    event, adopted = client.insert_event(ROOM, "bb0042abc", meeting(summary="Again"))

    assert (event["status"], event["summary"], adopted) == ("confirmed", "Again", True)
    assert client.delete_event(ROOM, "bb0042abc") is True
    assert client.delete_event(ROOM, "bb0042abc") is False  # 410 deleted: gone already


def test_a_rate_limit_answered_403_is_waited_out_and_sent_again(client, sandbox):
    sandbox.call(
        "POST",
        "faults",
        {
            "path": f"^/calendar/v3/calendars/{ROOM}/events$",
            "method": "POST",
            "status": 403,
            "code": "rateLimitExceeded",
            "message": "Rate Limit Exceeded",
            "times": 2,
        },
    )

    event, adopted = client.insert_event(ROOM, "bb0042abc", meeting())

    assert (event["id"], adopted) == ("bb0042abc", False)
    posts = [
        r["status"]
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"].startswith("/calendar/")
    ]
    assert posts == [403, 403, 200]


def test_changes_come_with_a_sync_token_and_a_dropped_token_asks_for_a_full_read(client, sandbox):
    client.insert_event(ROOM, "bb0001abc", meeting())
    [(items, token)] = list(client.event_changes(ROOM))
    client.insert_event(ROOM, "bb0002abc", meeting())
    client.delete_event(ROOM, "bb0001abc")

    [(changed, next_token)] = list(client.event_changes(ROOM, token))
    sandbox.google_expire_sync(ROOM)

    assert [e["id"] for e in items] == ["bb0001abc"]
    assert [(e["id"], e["status"]) for e in changed] == [
        ("bb0002abc", "confirmed"),
        ("bb0001abc", "cancelled"),
    ]
    assert next_token and next_token != token
    with pytest.raises(GoogleResyncNeeded):
        list(client.event_changes(ROOM, next_token))


def test_free_busy_merges_a_rooms_busy_times_and_names_a_calendar_it_may_not_see(client, sandbox):
    import datetime as dt

    sandbox.google_resource("studio@fabrikam.test", "Studio")
    client.insert_event(ROOM, "bb0001abc", meeting())  # 09:00-10:00 +01:00
    client.insert_event(
        ROOM,
        "bb0002abc",
        meeting(
            start={"dateTime": "2027-01-12T09:30:00+01:00"},
            end={"dateTime": "2027-01-12T11:00:00+01:00"},
        ),
    )
    client.insert_event(
        ROOM,
        "bb0003abc",
        meeting(
            start={"dateTime": "2027-01-12T12:00:00+01:00"},
            end={"dateTime": "2027-01-12T13:00:00+01:00"},
            transparency="transparent",  # "Show me as available"
        ),
    )
    client.insert_event(ROOM, "bb0004abc", meeting(summary="Gone"))
    client.delete_event(ROOM, "bb0004abc")
    utc = dt.UTC

    busy = client.free_busy(
        [ROOM, "studio@fabrikam.test", "nowhere@fabrikam.test"],
        dt.datetime(2027, 1, 12, 7, 0, tzinfo=utc),
        dt.datetime(2027, 1, 12, 17, 0, tzinfo=utc),
    )

    assert busy[ROOM] == [
        (dt.datetime(2027, 1, 12, 8, 0, tzinfo=utc), dt.datetime(2027, 1, 12, 10, 0, tzinfo=utc))
    ]
    assert busy["studio@fabrikam.test"] == []
    assert busy["nowhere@fabrikam.test"].code == "notFound"


def test_free_busy_asks_fifty_calendars_a_call(client, sandbox):
    import datetime as dt

    rooms = [f"room{n}@fabrikam.test" for n in range(60)]
    for room in rooms:
        sandbox.google_resource(room, room)
    sandbox.clear_requests()

    busy = client.free_busy(
        rooms,
        dt.datetime(2027, 1, 12, 7, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 12, 17, 0, tzinfo=dt.UTC),
    )

    assert busy == {room: [] for room in rooms}
    calls = [r for r in sandbox.requests() if r["path"] == "/calendar/v3/freeBusy"]
    assert [r["status"] for r in calls] == [200, 200]


def test_a_channel_posts_headers_only_after_each_change_with_its_token(
    client, sandbox, webhook_receiver
):
    address = f"{webhook_receiver.url}/google/notifications/"

    channel = client.watch_events(ROOM, "chan-1", address, "secret-of-chan-1", 3600)
    client.insert_event(ROOM, "bb0001abc", meeting())
    client.delete_event(ROOM, "bb0001abc")
    import time

    deadline = time.monotonic() + 5
    while len(webhook_receiver.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    stopped = client.stop_channel("chan-1", channel["resourceId"])
    client.insert_event(ROOM, "bb0002abc", meeting())
    again = client.stop_channel("chan-1", channel["resourceId"])

    got = [
        (r["body"], r["headers"]["X-Goog-Channel-ID"], r["headers"]["X-Goog-Resource-State"])
        for r in webhook_receiver.received
    ]
    assert got == [
        (None, "chan-1", "sync"),
        (None, "chan-1", "exists"),
        (None, "chan-1", "exists"),  # a deletion is "exists" too
    ]
    headers = [r["headers"] for r in webhook_receiver.received]
    assert {h["X-Goog-Channel-Token"] for h in headers} == {"secret-of-chan-1"}
    assert {h["X-Goog-Resource-ID"] for h in headers} == {channel["resourceId"]}
    numbers = [int(h["X-Goog-Message-Number"]) for h in headers]
    assert numbers[0] == 1 and numbers == sorted(set(numbers))
    assert (stopped, again) == (True, False)


def test_a_channel_needs_an_https_address_and_a_new_id(client):
    from syncconnections.google import GoogleError

    with pytest.raises(GoogleError) as plain_http:
        client.watch_events(ROOM, "chan-1", "http://bookbridge.example/hook", "t", 3600)
    client.watch_events(ROOM, "chan-2", "https://bookbridge.example/hook", "t", 3600)
    with pytest.raises(GoogleError) as reused:
        client.watch_events(ROOM, "chan-2", "https://bookbridge.example/hook", "t", 3600)

    assert (plain_http.value.status, plain_http.value.code) == (400, "push.webhookUrlNotHttps")
    assert (reused.value.status, reused.value.code) == (400, "channelIdNotUnique")


def test_a_batch_sends_fifty_calls_a_request_and_answers_each_in_order(client, sandbox):
    path = f"/calendar/v3/calendars/{ROOM}/events"
    calls = [("POST", path, meeting(id=f"bb{n:04d}abc")) for n in range(55)]
    calls += [
        ("POST", path, meeting(id="bb0001abc")),  # made just before: 409 duplicate
        ("GET", f"{path}/bb0054abc", None),
        ("GET", f"{path}/bb9999abc", None),  # never made
    ]
    sandbox.clear_requests()

    answers = client.batch(calls)

    statuses = [status for status, _ in answers]
    assert statuses == [200] * 55 + [409, 200, 404]
    assert answers[0][1]["id"] == "bb0000abc"
    assert answers[55][1]["error"]["errors"][0]["reason"] == "duplicate"
    assert answers[56][1]["summary"] == "Board meeting"
    outer = [r for r in sandbox.requests() if r["path"] == "/batch/calendar/v3"]
    assert len(outer) == 2  # fifty calls, then eight
    assert sum(len(items) for items, _ in client.event_changes(ROOM)) == 55

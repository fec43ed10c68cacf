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

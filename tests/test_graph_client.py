"""The Graph client against the sandbox over real HTTPS, msal included."""

import datetime as dt
import threading
import uuid

import pytest

from syncconnections.graph import (
    BatchRequest,
    Credentials,
    GraphClient,
    GraphError,
    ResyncNeeded,
)

ROOM = "room.boardroom@contoso.test"
SANDBOX_APP = Credentials("sandbox", "sandbox-client", "sandbox-secret")
WINDOW = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, tzinfo=dt.UTC))


def graph_calls(sandbox, path_part=""):
    return [
        r
        for r in sandbox.requests()
        if r["path"].startswith(("/v1.0", "/beta")) and path_part in r["path"] and not r["inner"]
    ]


def event(subject="Planning", day=23, hour=10, **extra):
    return {
        "subject": subject,
        "start": {
            "dateTime": f"2026-11-{day:02d}T{hour:02d}:00:00",
            "timeZone": "W. Europe Standard Time",
        },
        "end": {
            "dateTime": f"2026-11-{day:02d}T{hour + 1:02d}:00:00",
            "timeZone": "W. Europe Standard Time",
        },
        **extra,
    }


@pytest.fixture
def graph(sandbox):
    sandbox.mailbox(ROOM)
    return GraphClient(SANDBOX_APP)


def test_token_is_fetched_once_and_reused(sandbox, graph):
    first = graph.get_user(ROOM)
    second = GraphClient(SANDBOX_APP).get_user(ROOM)  # another client, same process

    assert first["mail"] == second["mail"] == ROOM
    paths = [r["path"] for r in sandbox.requests()]
    assert paths.count("/sandbox/oauth2/v2.0/token") == 1
    assert paths.count("/sandbox/v2.0/.well-known/openid-configuration") == 1


def test_429_with_retry_after_is_waited_out(sandbox, graph):
    sandbox.fault(f"/users/{ROOM}$", status=429, retry_after=2, times=1)

    assert graph.get_user(ROOM)["mail"] == ROOM

    first, second = graph_calls(sandbox, ROOM)
    assert (first["status"], second["status"]) == (429, 200)
    assert second["started_at"] - (first["started_at"] + first["duration_ms"] / 1000) >= 2.0


def test_503_then_success(sandbox, graph):
    sandbox.fault(f"/users/{ROOM}$", status=503, times=1)

    assert graph.get_user(ROOM)["mail"] == ROOM
    assert [r["status"] for r in graph_calls(sandbox, ROOM)] == [503, 200]


def test_permanent_403_surfaces_with_code_and_request_id(sandbox, graph):
    sandbox.permissions(["User.Read.All"])  # no calendar permission

    with pytest.raises(GraphError) as caught:
        graph.default_calendar(ROOM)

    error = caught.value
    [logged] = graph_calls(sandbox, "/calendar")
    assert (error.status, error.code, error.permanent) == (403, "ErrorAccessDenied", True)
    assert error.message == "Access is denied. Check credentials and try again."
    assert error.request_id == logged["request_id"]


def test_bad_secret_is_a_clear_permanent_error(sandbox):
    client = GraphClient(Credentials("sandbox", "sandbox-client", "wrong-secret"))

    with pytest.raises(GraphError) as caught:
        client.get_user(ROOM)

    assert (caught.value.code, caught.value.permanent) == ("invalid_client", True)
    assert caught.value.message.startswith("AADSTS7000215: Invalid client secret provided.")
    assert graph_calls(sandbox) == []


def test_unknown_tenant_is_a_clear_permanent_error(sandbox):
    client = GraphClient(Credentials("no-such-tenant", "sandbox-client", "sandbox-secret"))

    with pytest.raises(GraphError) as caught:
        client.get_user(ROOM)

    assert (caught.value.code, caught.value.permanent) == ("invalid_tenant", True)
    assert "Unknown tenant 'no-such-tenant'" in caught.value.message


def test_unreachable_graph_is_a_transient_error(settings, sandbox):
    settings.GRAPH_AUTHORITY_HOST = "https://127.0.0.1:9"  # nothing listens there

    with pytest.raises(GraphError) as caught:
        GraphClient(SANDBOX_APP).get_user(ROOM)

    assert caught.value.permanent is False
    assert "could not be reached" in caught.value.message


def test_batch_of_45_makes_three_calls_in_order(sandbox, graph):
    rooms = [f"room{n}@contoso.test" for n in range(22)]
    for room in rooms:
        sandbox.mailbox(room)
    requests_ = [BatchRequest(str(i), "GET", f"/users/{rooms[i % 22]}") for i in range(44)]
    requests_.append(BatchRequest("missing", "GET", "/users/nobody@contoso.test"))

    results = graph.batch(requests_)

    assert len(graph_calls(sandbox, "$batch")) == 3
    assert [r.id for r in results] == [r.id for r in requests_]
    assert {r.status for r in results[:44]} == {200}
    assert (results[44].status, results[44].error.code) == (404, "Request_ResourceNotFound")


def test_batch_retries_throttled_inner_requests_after_their_retry_after(sandbox, graph):
    rooms = [f"room{n}@contoso.test" for n in range(4)]
    for room in rooms:
        sandbox.mailbox(room)
    sandbox.fault("/calendar$", status=429, retry_after=1, times=2)
    requests_ = [BatchRequest(room, "GET", f"/users/{room}/calendar") for room in rooms]

    results = graph.batch(requests_)

    assert [r.status for r in results] == [200, 200, 200, 200]
    batches = graph_calls(sandbox, "$batch")
    assert len(batches) == 2
    assert batches[1]["started_at"] - batches[0]["started_at"] >= 1.0
    inner = [r for r in sandbox.requests() if r["inner"]]
    assert len(inner) == 4 + 2  # the two throttled ones sent again


def test_a_batch_call_holds_three_requests_per_mailbox_at_most(sandbox, graph):
    rooms = [f"room{n}@contoso.test" for n in range(8)]
    for room in rooms:
        sandbox.mailbox(room)
    requests_ = [
        BatchRequest(f"{room}-{n}", "GET", f"/users/{room}/calendar")
        for n in range(4)
        for room in rooms
    ]

    results = graph.batch(requests_)

    assert [r.status for r in results] == [200] * 32
    calls = [c["body"]["requests"] for c in graph_calls(sandbox, "$batch")]
    # Each room's first, second and third, but rooms 0-3 only three: the fourths wait.
    assert [[i["id"] for i in c] for c in calls] == [
        [r.id for r in requests_[:20]],
        [r.id for r in requests_[20:]],
    ]
    assert not any("dependsOn" in i for c in calls for i in c)  # parallel
    assert max(sandbox.peak_concurrency().values()) == 3


def test_a_pile_of_writes_to_one_mailbox_goes_one_after_another(sandbox, graph):
    events = sandbox.outlook_create_many(
        ROOM, [event(f"Meeting {n}", day=1 + n, hour=9) for n in range(25)]
    )
    sandbox.fault("/events/", status=404, skip=5, times=1)
    requests_ = [
        BatchRequest(str(n), "PATCH", f"/users/{ROOM}/events/{e['id']}", {"subject": f"S{n}"})
        for n, e in enumerate(events)
    ]

    results = graph.batch(requests_)

    assert [r.status for r in results] == [200] * 5 + [404] + [200] * 19
    calls = [c["body"]["requests"] for c in graph_calls(sandbox, "$batch")]
    # 20 in order, each after the one before; the 14 a 404 stopped (424) sent again; then 5.
    assert [[int(i["id"]) for i in c] for c in calls] == [
        list(range(20)),
        list(range(6, 20)),
        list(range(20, 25)),
    ]
    assert all(i["dependsOn"] == [str(int(i["id"]) - 1)] for c in calls for i in c[1:])
    assert sandbox.peak_concurrency() == {ROOM: 1}


def test_delta_pages_over_250_events(sandbox, graph):
    sandbox.outlook_create_many(
        ROOM, [event(f"Meeting {i}", day=2 + i % 28, hour=8 + i % 9) for i in range(250)]
    )

    pages = list(graph.delta_pages(ROOM, start=WINDOW[0], end=WINDOW[1], page_size=100))

    assert [len(p.events) for p in pages] == [100, 100, 50]
    assert [bool(p.next_link) for p in pages] == [True, True, False]
    assert pages[-1].delta_link and "$deltatoken=" in pages[-1].delta_link
    assert len({e["id"] for p in pages for e in p.events}) == 250


def test_delta_link_returns_changes_and_removals(sandbox, graph):
    kept, moved, gone = (sandbox.outlook_create(ROOM, **event(s)) for s in ("A", "B", "C"))
    [*_, last] = graph.delta_pages(ROOM, start=WINDOW[0], end=WINDOW[1])
    sandbox.outlook_update(ROOM, moved["id"], **event("B", hour=14))
    sandbox.outlook_delete(ROOM, gone["id"])

    [page] = graph.delta_pages(ROOM, link=last.delta_link)

    by_id = {e["id"]: e for e in page.events}
    assert set(by_id) == {moved["id"], gone["id"]}
    assert by_id[moved["id"]]["start"]["dateTime"] == "2026-11-23T13:00:00.0000000"
    assert by_id[gone["id"]]["@removed"] == {"reason": "deleted"}
    assert kept["id"] not in by_id


def test_expired_delta_token_is_resync_needed(sandbox, graph):
    [page] = graph.delta_pages(ROOM, start=WINDOW[0], end=WINDOW[1])
    sandbox.expire_delta(ROOM)

    with pytest.raises(ResyncNeeded) as caught:
        list(graph.delta_pages(ROOM, link=page.delta_link))

    assert caught.value.status == 410
    assert caught.value.permanent is False


def test_create_dropped_after_the_write_leaves_one_event(sandbox, graph):
    sandbox.fault(f"/users/{ROOM}/events$", method="POST", kind="drop_after_write", times=1)
    body = event("Board meeting", transactionId=str(uuid.uuid4()))

    created = graph.create_event(ROOM, body)

    assert [e["id"] for e in sandbox.events(ROOM)] == [created["id"]]
    assert [r["status"] for r in graph_calls(sandbox, "/events")] == [None, 201]


def test_create_without_transaction_id_is_not_retried_after_a_drop(sandbox, graph):
    sandbox.fault(f"/users/{ROOM}/events$", method="POST", kind="drop_after_write", times=1)

    with pytest.raises(GraphError) as caught:
        graph.create_event(ROOM, event("No id"))

    assert caught.value.permanent is False
    assert len(graph_calls(sandbox, "/events")) == 1


def test_at_most_four_requests_in_flight_per_mailbox(sandbox, graph):
    sandbox.fault(f"/users/{ROOM}$", kind="delay", seconds=0.3, times=12)
    results, errors = [], []

    def fetch():
        try:
            results.append(GraphClient(SANDBOX_APP).get_user(ROOM)["mail"])
        except GraphError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert results == [ROOM] * 12
    # The sandbox answers a fifth concurrent request for a mailbox with 429; none came.
    assert {r["status"] for r in graph_calls(sandbox, ROOM)} == {200}


def test_links_outside_graph_are_refused(graph):
    with pytest.raises(GraphError, match="Refusing to follow a link outside Graph"):
        list(graph.delta_pages(ROOM, link="https://evil.example/v1.0/users/x/delta"))


def test_events_calendars_and_places(sandbox, graph):
    sandbox.mailbox("anna@contoso.test", kind="user", calendars=["Room bookings"])
    sandbox.seed(
        room_lists=[{"address": "rooms.hq@contoso.test", "display_name": "HQ"}],
        rooms=[
            {
                "address": "room.b@contoso.test",
                "display_name": "B",
                "room_list": "rooms.hq@contoso.test",
                "capacity": 8,
            }
        ],
    )

    calendar = graph.find_calendar("anna@contoso.test", "Room bookings")
    created = graph.create_event("anna@contoso.test", event("Sync"), calendar_id=calendar["id"])
    updated = graph.update_event("anna@contoso.test", created["id"], {"subject": "Sync (moved)"})
    graph.delete_event("anna@contoso.test", created["id"])

    assert graph.find_calendar("anna@contoso.test", "Nope") is None
    assert updated["subject"] == "Sync (moved)"
    assert updated["changeKey"] != created["changeKey"]
    assert sandbox.events("anna@contoso.test") == []
    assert [r["displayName"] for r in graph.room_lists()] == ["HQ"]
    assert [r["emailAddress"] for r in graph.rooms("rooms.hq@contoso.test")] == [
        "room.b@contoso.test"
    ]

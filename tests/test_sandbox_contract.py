"""The sandbox behaves like the services it stands in for (see docs/sandbox.md)."""

import datetime as dt
import threading
import time
from itertools import pairwise

import pytest
import requests

from syncconnections.graph import Credentials, GraphClient, GraphError

ROOM = "room.maas@contoso.test"
APP = Credentials("sandbox", "sandbox-client", "sandbox-secret")


def soon(minutes=60 * 24):
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)


def subscription(receiver, **overrides):
    return {
        "changeType": "created,updated,deleted",
        "notificationUrl": f"{receiver.url}/graph/notifications/",
        "lifecycleNotificationUrl": f"{receiver.url}/graph/lifecycle/",
        "resource": f"users/{ROOM}/events",
        "expirationDateTime": soon().isoformat(),
        "clientState": "s3cret-state",
        **overrides,
    }


def meeting(subject="Client visit", day=24):
    return {
        "subject": subject,
        "start": {"dateTime": f"2026-11-{day}T09:00:00", "timeZone": "UTC"},
        "end": {"dateTime": f"2026-11-{day}T10:00:00", "timeZone": "UTC"},
    }


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def graph(sandbox):
    sandbox.mailbox(ROOM)
    return GraphClient(APP)


def test_subscription_is_validated_at_both_urls(sandbox, graph, webhook_receiver):
    created = graph.create_subscription(subscription(webhook_receiver))

    assert webhook_receiver.handshakes == ["/graph/notifications/", "/graph/lifecycle/"]
    assert [s["id"] for s in sandbox.subscriptions()] == [created["id"]]
    assert created["clientState"] == "s3cret-state"


def test_a_wrong_handshake_echo_refuses_the_subscription(sandbox, graph, webhook_receiver):
    webhook_receiver.echo_wrong = True

    with pytest.raises(GraphError) as caught:
        graph.create_subscription(subscription(webhook_receiver))

    assert (caught.value.status, caught.value.code) == (400, "ValidationError")
    assert "Response must exactly match validationToken" in caught.value.message
    assert sandbox.subscriptions() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"expirationDateTime": 10081},  # minutes ahead, counted when the test runs
            "Subscription expiration can only be 10080 minutes in the future.",
        ),
        ({"lifecycleNotificationUrl": None}, "lifecycleNotificationUrl is a required property"),
        ({"resource": "users/nobody@contoso.test/messages"}, "is not supported"),
    ],
)
def test_invalid_subscriptions_are_refused(sandbox, graph, webhook_receiver, changes, message):
    if "expirationDateTime" in changes:
        changes = {"expirationDateTime": soon(changes["expirationDateTime"]).isoformat()}
    with pytest.raises(GraphError) as caught:
        graph.create_subscription(subscription(webhook_receiver, **changes))

    assert caught.value.status == 400
    assert message in caught.value.message
    assert sandbox.subscriptions() == []


def test_an_outlook_change_notifies_with_the_client_state(sandbox, graph, webhook_receiver):
    created = graph.create_subscription(subscription(webhook_receiver))

    made = sandbox.outlook_create(ROOM, **meeting())
    sandbox.outlook_update(ROOM, made["id"], subject="Client visit (moved)")
    sandbox.outlook_delete(ROOM, made["id"])

    assert wait_for(lambda: len(webhook_receiver.received) == 3)
    notes = [r["body"]["value"][0] for r in webhook_receiver.received]
    assert [n["changeType"] for n in notes] == ["created", "updated", "deleted"]
    assert {n["clientState"] for n in notes} == {"s3cret-state"}
    assert {n["subscriptionId"] for n in notes} == {created["id"]}
    assert {n["resourceData"]["id"] for n in notes} == {made["id"]}


def test_our_own_writes_are_notified_too(sandbox, graph, webhook_receiver):
    graph.create_subscription(subscription(webhook_receiver, changeType="created"))

    graph.create_event(ROOM, meeting())

    assert wait_for(lambda: len(webhook_receiver.received) == 1)


def test_renewed_and_deleted_subscriptions(sandbox, graph, webhook_receiver):
    created = graph.create_subscription(subscription(webhook_receiver))

    renewed = graph.renew_subscription(created["id"], soon(10000))
    graph.delete_subscription(created["id"])
    sandbox.outlook_create(ROOM, **meeting())

    assert renewed["expirationDateTime"] != created["expirationDateTime"]
    assert sandbox.subscriptions() == []
    assert sandbox.notifications() == []


@pytest.mark.parametrize("event", ["reauthorizationRequired", "subscriptionRemoved", "missed"])
def test_lifecycle_notifications_on_command(sandbox, graph, webhook_receiver, event):
    created = graph.create_subscription(subscription(webhook_receiver))

    sandbox.lifecycle(created["id"], event)

    assert wait_for(lambda: len(webhook_receiver.received) == 1)
    [received] = webhook_receiver.received
    assert received["path"] == "/graph/lifecycle/"
    assert received["body"]["value"][0]["lifecycleEvent"] == event
    assert received["body"]["value"][0]["clientState"] == "s3cret-state"
    remaining = [s["id"] for s in sandbox.subscriptions()]
    assert remaining == ([] if event == "subscriptionRemoved" else [created["id"]])


def test_every_answer_has_a_request_id_and_graph_errors_their_shape(sandbox_server, sandbox):
    answer = requests.get(
        f"{sandbox_server.url}/v1.0/users/{ROOM}", verify=str(sandbox_server.ca_file), timeout=10
    )

    body = answer.json()
    assert answer.status_code == 401
    assert body["error"]["code"] == "InvalidAuthenticationToken"
    assert body["error"]["innerError"]["request-id"] == answer.headers["request-id"]
    assert set(body["error"]["innerError"]) >= {"request-id", "date"}


def daily_stand_up(graph, occurrences):
    """A daily series in the room from 23 November 2026."""
    return graph.create_event(
        ROOM,
        {
            **meeting("Stand-up", day=23),
            "recurrence": {
                "pattern": {"type": "daily", "interval": 1},
                "range": {
                    "type": "numbered",
                    "startDate": "2026-11-23",
                    "numberOfOccurrences": occurrences,
                },
            },
        },
    )


def test_recurring_series_occurrences_and_exceptions(sandbox, graph):
    master = daily_stand_up(graph, 5)
    window = (dt.datetime(2026, 11, 20, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    occurrences = graph.calendar_view(ROOM, *window)
    moved, cancelled = occurrences[1], occurrences[3]

    graph.update_event(
        ROOM,
        moved["id"],
        {
            "start": {"dateTime": "2026-11-24T15:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-11-24T16:00:00", "timeZone": "UTC"},
        },
    )
    graph.delete_event(ROOM, cancelled["id"])
    view = graph.calendar_view(ROOM, *window)

    assert master["type"] == "seriesMaster"
    assert [o["type"] for o in occurrences] == ["occurrence"] * 5
    assert {o["seriesMasterId"] for o in occurrences} == {master["id"]}
    assert [(o["id"], o["type"], o["start"]["dateTime"][:16]) for o in view] == [
        (occurrences[0]["id"], "occurrence", "2026-11-23T09:00"),
        (moved["id"], "exception", "2026-11-24T15:00"),
        (occurrences[2]["id"], "occurrence", "2026-11-25T09:00"),
        (occurrences[4]["id"], "occurrence", "2026-11-27T09:00"),
    ]


def test_changing_a_series_pattern_or_times_drops_its_exceptions(sandbox, graph):
    """Outlook: changing a series' recurrence or times "cancels any exceptions associated
    with this recurring appointment"; a change of subject alone keeps them."""
    master = daily_stand_up(graph, 4)
    window = (dt.datetime(2026, 11, 20, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    occurrences = graph.calendar_view(ROOM, *window)
    graph.delete_event(ROOM, occurrences[1]["id"])
    graph.update_event(ROOM, master["id"], {"subject": "Daily stand-up"})
    assert len(graph.calendar_view(ROOM, *window)) == 3

    graph.update_event(
        ROOM,
        master["id"],
        {
            "recurrence": {
                "pattern": {"type": "daily", "interval": 1},
                "range": {"type": "endDate", "startDate": "2026-11-23", "endDate": "2026-11-25"},
            }
        },
    )

    view = graph.calendar_view(ROOM, *window)
    assert [(o["type"], o["start"]["dateTime"][:10]) for o in view] == [
        ("occurrence", "2026-11-23"),
        ("occurrence", "2026-11-24"),
        ("occurrence", "2026-11-25"),
    ]


def test_occurrences_a_shorter_range_takes_away_are_removed_in_delta(sandbox, graph):
    """event-delta.md: an event that left the view is listed under @removed: so are the
    occurrences of a series whose range now ends before them."""
    master = daily_stand_up(graph, 4)
    window = (dt.datetime(2026, 11, 20, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    pages = list(graph.delta_pages(ROOM, start=window[0], end=window[1]))
    first = [e["id"] for p in pages for e in p.events]

    graph.update_event(
        ROOM,
        master["id"],
        {
            "recurrence": {
                "pattern": {"type": "daily", "interval": 1},
                "range": {"type": "endDate", "startDate": "2026-11-23", "endDate": "2026-11-24"},
            }
        },
    )
    changes = [e for p in graph.delta_pages(ROOM, link=pages[-1].delta_link) for e in p.events]

    assert len(first) == 4
    assert sorted(e["id"] for e in changes if "@removed" in e) == first[2:]
    assert sorted(e["id"] for e in changes if "@removed" not in e) == first[:2]


@pytest.mark.parametrize(
    "pattern, dates",
    [
        # recurrencepattern.md: the last (or first…fourth) of the allowed days in the month.
        (
            {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday"], "index": "last"},
            ["2026-11-30", "2026-12-28", "2027-01-25"],
        ),
        (
            {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday"], "index": "fourth"},
            ["2026-11-23", "2026-12-28", "2027-01-25"],
        ),
        # The 31st falls on a shorter month's last day.
        (
            {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
            ["2026-11-30", "2026-12-31", "2027-01-31"],
        ),
        (
            {
                "type": "relativeYearly",
                "interval": 1,
                "month": 11,
                "index": "fourth",
                "daysOfWeek": ["thursday"],
            },
            ["2026-11-26", "2027-11-25", "2028-11-23"],
        ),
        (
            {"type": "absoluteYearly", "interval": 1, "month": 11, "dayOfMonth": 23},
            ["2026-11-23", "2027-11-23", "2028-11-23"],
        ),
    ],
)
def test_monthly_and_yearly_patterns(sandbox, graph, pattern, dates):
    master = graph.create_event(
        ROOM,
        {
            **meeting("Review", day=23),
            "recurrence": {
                "pattern": pattern,
                "range": {"type": "numbered", "startDate": "2026-11-23", "numberOfOccurrences": 3},
            },
        },
    )

    view = graph.calendar_view(
        ROOM, dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2029, 1, 1, tzinfo=dt.UTC)
    )

    assert [o["start"]["dateTime"][:10] for o in view if o["seriesMasterId"] == master["id"]] == (
        dates
    )


def test_repeated_transaction_id_returns_the_first_event(sandbox, graph):
    body = {**meeting(), "transactionId": "7f0d3c1e-0000-4000-8000-000000000042"}

    first = graph.create_event(ROOM, body)
    second = graph.create_event(ROOM, {**body, "subject": "Retried"})

    assert second["id"] == first["id"]
    assert [e["subject"] for e in sandbox.events(ROOM)] == ["Client visit"]


def test_batch_over_twenty_is_refused(sandbox, graph):
    with pytest.raises(GraphError) as caught:
        graph.call(
            "POST",
            "/$batch",
            json={
                "requests": [
                    {"id": str(i), "method": "GET", "url": f"/users/{ROOM}"} for i in range(21)
                ]
            },
        )

    assert caught.value.status == 400
    assert "cannot exceed 20" in caught.value.message


# --- JSON batching: order and the mailbox concurrency limit (json-batching.md,
# throttling-limits.md "Outlook service limits": four concurrent requests per app and mailbox;
# Graph dispatches up to four of a batch's requests to Outlook at once, whatever their
# mailbox) -------------------------------------------------------------------------------------


def batch_of(items):
    return [{"id": str(n), "method": "GET", **item} for n, item in enumerate(items)]


def test_a_sequential_batch_stops_after_a_failure_with_424(sandbox, graph):
    items = batch_of(
        [
            {"url": f"/users/{ROOM}"},
            {"url": "/users/nobody@contoso.test"},
            {"url": f"/users/{ROOM}"},
        ]
    )
    for before, item in pairwise(items):
        item["dependsOn"] = [before["id"]]

    answer = graph.call("POST", "/$batch", json={"requests": items})

    assert [(r["id"], r["status"]) for r in answer["responses"]] == [
        ("0", 200),
        ("1", 404),
        ("2", 424),
    ]
    inner = [r["path"] for r in sandbox.requests() if r["inner"]]
    assert inner == [f"/v1.0/users/{ROOM}", "/v1.0/users/nobody@contoso.test"]  # 2 not run


def test_a_batch_neither_sequential_nor_parallel_is_refused(sandbox, graph):
    items = batch_of([{"url": f"/users/{ROOM}"}] * 3)
    items[2]["dependsOn"] = ["0"]  # 1 runs in parallel, 2 after 0

    with pytest.raises(GraphError) as caught:
        graph.call("POST", "/$batch", json={"requests": items})

    assert caught.value.status == 400
    assert "fully sequential or fully parallel" in caught.value.message


def test_a_fifth_concurrent_request_for_a_mailbox_is_answered_429(sandbox, graph):
    graph.get_user(ROOM)  # the token, before the clock matters
    sandbox.settings(latency=1.0)
    sandbox.clear_requests()
    five = batch_of([{"url": f"/users/{ROOM}"}] * 5)  # four at once: the mailbox's share
    answers = {}
    batch = threading.Thread(
        target=lambda: answers.update(batch=graph.call("POST", "/$batch", json={"requests": five}))
    )

    batch.start()
    time.sleep(0.3)
    graph.call("GET", f"/users/{ROOM}/calendar")  # while the batch runs: retried after 1 s
    batch.join()

    assert sandbox.peak_concurrency() == {ROOM: 5}
    calendar = [r["status"] for r in sandbox.requests() if r["path"].endswith("/calendar")]
    assert calendar == [429, 200]
    assert [r["status"] for r in answers["batch"]["responses"]] == [200] * 5


def test_a_batch_over_the_limit_has_its_last_requests_for_the_mailbox_answered_429(sandbox, graph):
    graph.get_user(ROOM)
    sandbox.settings(latency=1.0)
    sandbox.clear_requests()
    answers = {}

    def send(name, items):
        answers[name] = graph.call("POST", "/$batch", json={"requests": items})

    first = threading.Thread(target=send, args=("first", batch_of([{"url": f"/users/{ROOM}"}] * 3)))
    first.start()
    time.sleep(0.3)
    send(
        "second",
        batch_of([{"url": "/users/nobody@contoso.test"}, *[{"url": f"/users/{ROOM}"}] * 3]),
    )
    first.join()

    assert sandbox.peak_concurrency() == {ROOM: 6, "nobody@contoso.test": 1}
    second = {r["id"]: r["status"] for r in answers["second"]["responses"]}
    assert second == {"0": 404, "1": 200, "2": 429, "3": 429}  # ROOM's last two: over four
    assert [r["status"] for r in answers["first"]["responses"]] == [200] * 3

"""POST /graph/notifications/ and /graph/lifecycle/."""

import json

import pytest
from django.db import DatabaseError
from django_q.conf import Conf
from django_q.models import OrmQ

from bookings.models import Reservation
from syncconnections.inbound import webhooks
from syncconnections.models import IgnoredNotification, SyncConnection, SyncRequest
from tests import factories
from tests.sync_helpers import meeting

pytestmark = pytest.mark.django_db
TOKEN = "Validation: Testing client application reachability for subscription Request-Id: 42"


@pytest.fixture(autouse=True)
def fresh_subscriber_cache():
    webhooks.forget_subscribers()
    yield
    webhooks.forget_subscribers()


@pytest.fixture
def subscribed(room):
    SyncConnection.objects.filter(pk=room.pk).update(
        subscription_id="sub-1", subscription_client_state="s3cret"
    )
    return room


def notify(client, *items, path="/graph/notifications/"):
    return client.post(path, json.dumps({"value": list(items)}), content_type="application/json")


def item(subscription="sub-1", state="s3cret", **extra):
    return {
        "subscriptionId": subscription,
        "clientState": state,
        "changeType": "created",
        "resource": "Users/x/Events/y",
        **extra,
    }


@pytest.mark.parametrize("path", ["/graph/notifications/", "/graph/lifecycle/"])
def test_the_handshake_echoes_the_decoded_token_as_plain_text(client, path):
    response = client.post(
        f"{path}?validationToken=Validation%3A%20Testing%20client%20"
        "application%20reachability%20for%20subscription%20Request-Id%3A%2042"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == TOKEN


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "The body is not JSON: "),
        ('{"value": "nope"}', 'The body must be an object with a "value" list of notifications.'),
        ("[1, 2]", 'The body must be an object with a "value" list of notifications.'),
    ],
)
@pytest.mark.parametrize("path", ["/graph/notifications/", "/graph/lifecycle/"])
def test_a_malformed_body_is_a_clear_400(client, path, body, message):
    response = client.post(path, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert (SyncRequest.objects.count(), OrmQ.objects.count()) == (0, 0)


def test_wrong_client_state_and_unknown_subscriptions_are_counted_never_synced(
    client, subscribed, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)  # a sync asked for would stay queued, to be seen
    response = notify(
        client, item(state="guess"), item(subscription="sub-unknown"), item(state="guess")
    )

    assert response.status_code == 202
    assert (SyncRequest.objects.count(), OrmQ.objects.count()) == (0, 0)
    assert dict(IgnoredNotification.objects.values_list("reason", "count")) == {
        "wrong clientState": 2,
        "unknown subscription": 1,
    }


def test_a_storm_of_strangers_costs_a_few_queries_and_no_memory(
    client, subscribed, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue the sync: count the webhook's queries
    strangers = [item(subscription=f"stranger-{n}") for n in range(2000)]
    too_long = item(subscription="x" * 5000)

    # Five lookups of up to 500 ids, the ignored count (made the first time), the sync
    # request and its wake-up: not a query per item.
    with django_assert_max_num_queries(18):
        response = notify(client, *strangers, too_long, item())

    assert response.status_code == 202
    assert SyncRequest.objects.get().sync_connection_id == subscribed.pk
    assert dict(IgnoredNotification.objects.values_list("reason", "count")) == {
        "unknown subscription": 2001
    }
    assert set(webhooks._subscribers) == {"sub-1"}  # strangers are not remembered


def test_a_subscription_without_a_stored_client_state_accepts_nothing(
    client, subscribed, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)  # a sync asked for would stay queued, to be seen
    SyncConnection.objects.filter(pk=subscribed.pk).update(subscription_client_state="")

    response = notify(client, item(state=""), item(state=None))

    assert response.status_code == 202
    assert (SyncRequest.objects.count(), OrmQ.objects.count()) == (0, 0)
    assert dict(IgnoredNotification.objects.values_list("reason", "count")) == {
        "wrong clientState": 2
    }


def test_a_new_subscription_is_known_at_once(client, subscribed, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)
    notify(client, item(subscription="sub-2", state="other"))  # not yet stored: unknown
    SyncConnection.objects.filter(pk=subscribed.pk).update(
        subscription_id="sub-2", subscription_client_state="other"
    )

    response = notify(client, item(subscription="sub-2", state="other"))

    assert response.status_code == 202
    assert SyncRequest.objects.get().sync_connection_id == subscribed.pk


def test_a_hundred_identical_notifications_make_one_sync(client, subscribed, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue the work, as in production

    for _ in range(100):
        assert notify(client, item()).status_code == 202

    request = SyncRequest.objects.get()
    assert (request.sync_connection_id, request.version) == (subscribed.pk, 0)
    assert [t.func() for t in OrmQ.objects.all()] == [
        "syncconnections.inbound.sync_requests.sync_pending"
    ]


def test_a_valid_notification_leads_to_a_sync(client, sandbox, subscribed):
    sandbox.outlook_create(subscribed.user_id, **meeting("Client visit"))

    response = notify(client, item())

    assert response.status_code == 202
    assert Reservation.objects.get().title == "Client visit"
    assert SyncRequest.objects.count() == 0  # done


def test_when_storing_fails_graph_is_told_to_retry(client, subscribed, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("database is down")

    monkeypatch.setattr(webhooks, "request_sync", broken)

    response = notify(client, item())

    assert response.status_code == 503
    assert response.json() == {"error": "The notification could not be stored; send it again."}


def test_lifecycle_missed_catches_up_with_delta(client, sandbox, subscribed):
    sandbox.outlook_create(subscribed.user_id, **meeting("Missed meeting"))

    response = notify(client, item(lifecycleEvent="missed"), path="/graph/lifecycle/")

    assert response.status_code == 202
    assert Reservation.objects.get().title == "Missed meeting"


def test_lifecycle_with_a_wrong_client_state_does_nothing(client, subscribed, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)

    notify(
        client, item(state="guess", lifecycleEvent="subscriptionRemoved"), path="/graph/lifecycle/"
    )

    assert OrmQ.objects.count() == 0
    assert IgnoredNotification.objects.get().reason == "wrong clientState"


def test_notifications_need_no_login_or_csrf_but_only_post(client):
    assert client.get("/graph/notifications/").status_code == 405
    factories.UserFactory()  # nobody is logged in
    assert notify(client).status_code == 202

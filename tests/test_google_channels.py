"""Live sync of a Google Workspace room: a push channel (events.watch) whose notifications,
posted by the sandbox's Calendar stand-in to POST /google/notifications/, make the room's
calendar be read; a notification with a wrong token or from an unknown channel is dropped;
a renewal opens a new channel and stops the old one."""

import datetime as dt

import pytest

from bookings.models import Reservation
from syncconnections.google import GoogleClient
from syncconnections.inbound import subscriptions
from syncconnections.models import IgnoredNotification, SyncConnection, SyncRequest
from tests import factories
from tests.helpers import wait_until
from tests.sync_helpers import AMSTERDAM, google_room, google_tenant

EVA = "eva@fabrikam.test"


@pytest.fixture
def room(sandbox):
    return google_room(sandbox, google_tenant(sandbox.google_service_account()))


def headers(channel_id, token, state="exists", number=2):
    return {
        "HTTP_X_GOOG_CHANNEL_ID": channel_id,
        "HTTP_X_GOOG_CHANNEL_TOKEN": token,
        "HTTP_X_GOOG_RESOURCE_STATE": state,
        "HTTP_X_GOOG_MESSAGE_NUMBER": str(number),
        "HTTP_X_GOOG_RESOURCE_ID": "any",
    }


@pytest.mark.django_db(transaction=True)
def test_a_meeting_made_in_google_reaches_the_back_office_through_the_channel(
    sandbox, live_server, settings
):
    # Given a Google room on live sync, its channel's notifications posted to this site
    settings.PUBLIC_BASE_URL = live_server.url
    key = sandbox.google_service_account()
    room = google_room(sandbox, google_tenant(key))
    SyncConnection.objects.filter(pk=room.pk).update(use_live_sync=True)
    room.refresh_from_db()

    assert subscriptions.subscribe(room) is True

    room.refresh_from_db()
    assert room.subscription_id and room.channel_resource_id
    assert room.subscription_expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=6)
    assert len(room.subscription_client_state) >= 40  # our secret, kept encrypted

    # When Eva invites the room to a meeting in her Google calendar
    sandbox.google_user(EVA)
    factories.StaffFactory(first_name="Eva", email=EVA)
    start = dt.datetime(2026, 12, 9, 9, 0, tzinfo=AMSTERDAM)
    GoogleClient(key, EVA).insert_event(
        EVA,
        "evastandup01",
        {
            "summary": "Stand-up",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + dt.timedelta(minutes=30)).isoformat()},
            "attendees": [{"email": room.user_id, "resource": True}],
        },
    )

    # Then Google's notification has the room read, and the meeting booked
    reservation = wait_until(lambda: Reservation.objects.filter(title="Stand-up").first())
    assert reservation and (reservation.resource, reservation.start) == (room.resource, start)
    deliveries = [d for d in sandbox.notifications() if "/google/" in d["url"]]
    assert [d["status"] for d in deliveries][:2] == [200, 200]  # "sync", then "exists"
    assert not IgnoredNotification.objects.exists()


@pytest.mark.django_db
def test_a_notification_with_a_wrong_token_is_dropped(room, client):
    assert subscriptions.subscribe(room) is True
    room.refresh_from_db()
    SyncRequest.objects.all().delete()

    answer = client.post("/google/notifications/", **headers(room.subscription_id, "not-our-token"))

    assert answer.status_code == 200  # delivered: sending it again would not make it ours
    assert not SyncRequest.objects.exists()
    assert dict(IgnoredNotification.objects.values_list("reason", "count")) == {
        "wrong channel token": 1
    }


@pytest.mark.django_db
def test_the_right_token_asks_for_a_sync_and_an_unknown_channel_is_dropped(room, client):
    assert subscriptions.subscribe(room) is True
    room.refresh_from_db()
    SyncRequest.objects.all().delete()

    SyncConnection.objects.filter(pk=room.pk).update(delta_read_at=None)

    opened = client.post(
        "/google/notifications/",
        **headers(room.subscription_id, room.subscription_client_state, state="sync", number=1),
    )
    read_after_opening = SyncConnection.objects.get(pk=room.pk).delta_read_at
    changed = client.post(
        "/google/notifications/", **headers(room.subscription_id, room.subscription_client_state)
    )
    stranger = client.post("/google/notifications/", **headers("some-channel", "x"))

    assert [opened.status_code, changed.status_code, stranger.status_code] == [200, 200, 200]
    assert read_after_opening is None  # "sync" only opens the channel
    # The change was read (tasks run inline here), its request settled
    assert SyncConnection.objects.get(pk=room.pk).delta_read_at is not None
    assert not SyncRequest.objects.exists()
    assert dict(IgnoredNotification.objects.values_list("reason", "count")) == {
        "unknown channel": 1
    }


@pytest.mark.django_db
def test_a_notification_without_googles_headers_is_a_400(client):
    answer = client.post("/google/notifications/", HTTP_X_GOOG_CHANNEL_ID="abc")

    assert answer.status_code == 400
    assert "X-Goog-Resource-State" in answer.json()["error"]


@pytest.mark.django_db
def test_renewal_opens_a_new_channel_and_stops_the_old_one(sandbox, room):
    assert subscriptions.subscribe(room) is True
    room.refresh_from_db()
    old = (room.subscription_id, room.channel_resource_id)

    assert subscriptions.renew(room) is True

    room.refresh_from_db()
    assert room.subscription_id != old[0]
    google = GoogleClient.for_tenant(room.tenant)
    assert google.stop_channel(*old) is False  # stopped already: Google knows it no more
    assert google.stop_channel(room.subscription_id, room.channel_resource_id) is True


@pytest.mark.django_db
def test_unsubscribing_stops_the_channel(sandbox, room):
    assert subscriptions.subscribe(room) is True
    room.refresh_from_db()
    channel = (room.subscription_id, room.channel_resource_id)

    subscriptions.unsubscribe(room)

    room.refresh_from_db()
    assert (room.subscription_id, room.channel_resource_id) == ("", "")
    assert GoogleClient.for_tenant(room.tenant).stop_channel(*channel) is False

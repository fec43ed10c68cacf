"""Sync requests coalesce notifications: one pending sync per connection, run again when a
notification arrives while it runs, and run at once when one arrives during a back-off."""

import datetime as dt

import pytest
from django.utils import timezone
from django_q.conf import Conf

from errors.models import SyncError
from syncconnections.inbound import sync_requests
from syncconnections.inbound.delta import SyncResult
from syncconnections.inbound.sync_requests import claim, request_sync
from syncconnections.models import SyncConnection, SyncRequest
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue the sync, as in production


@pytest.fixture
def connection():
    return factories.SyncConnectionFactory()


def test_the_first_notification_makes_a_request(connection):
    assert request_sync([connection.pk]) is True

    request = SyncRequest.objects.get()
    assert (request.sync_connection_id, request.version, request.reason) == (
        connection.pk,
        0,
        "notification",
    )


def test_notifications_for_a_waiting_request_write_nothing(connection, django_assert_num_queries):
    request_sync([connection.pk])

    with django_assert_num_queries(1):  # one read
        assert request_sync([connection.pk]) is False

    assert SyncRequest.objects.get().version == 0


def test_a_notification_during_the_sync_makes_it_run_again(connection):
    request_sync([connection.pk])
    (claimed,) = claim()

    request_sync([connection.pk])

    stored = SyncRequest.objects.get()
    assert (stored.version, stored.claimed_version) == (1, 0)
    # The sync finishes: its request stays for another run, unclaimed.
    SyncRequest.objects.filter(pk=claimed.pk).exclude(version=claimed.claimed_version).update(
        claim=None, claimed_at=None
    )
    assert [r.sync_connection_id for r in claim()] == [connection.pk]


def test_a_notification_ends_a_back_off(connection):
    request_sync([connection.pk])
    SyncRequest.objects.update(not_before=timezone.now() + dt.timedelta(minutes=30), attempts=2)
    assert claim() == []

    request_sync([connection.pk])

    assert [r.sync_connection_id for r in claim()] == [connection.pk]


def test_only_new_connections_are_woken(connection, monkeypatch):
    woken = []
    monkeypatch.setattr(sync_requests, "wake", lambda: woken.append(True))
    other = factories.SyncConnectionFactory()
    request_sync([connection.pk])

    request_sync([connection.pk, other.pk])

    assert sorted(SyncRequest.objects.values_list("sync_connection_id", flat=True)) == sorted(
        [connection.pk, other.pk]
    )
    assert woken == [True, True]


def test_an_unexpected_error_in_one_sync_holds_up_no_other(connection, monkeypatch):
    other = factories.SyncConnectionFactory()
    request_sync([connection.pk, other.pk])
    synced = []

    def sync_down(connection_id, first=None):
        if connection_id == connection.pk:
            raise RuntimeError("a bug")
        synced.append(connection_id)
        return SyncResult(SyncConnection.objects.get(pk=connection_id))

    monkeypatch.setattr(sync_requests, "sync_down", sync_down)

    assert sync_requests.sync_pending() == {"synced": 1, "failed": 1}

    assert synced == [other.pk]
    left = SyncRequest.objects.get()
    assert (left.sync_connection_id, left.attempts, left.claim) == (connection.pk, 1, None)
    assert left.not_before > timezone.now()
    error = SyncError.objects.get()
    assert (error.operation, error.stage, error.error_message) == (
        "sync_down",
        "unexpected error",
        "RuntimeError: a bug",
    )

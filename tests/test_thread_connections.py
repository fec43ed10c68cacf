"""Calendars synced side by side: the threads keep their database connections from one
claim to the next (a new PostgreSQL connection is a new server process, paid for each
calendar otherwise), and the lock a sync holds on its connection's row while it applies a
page does not hold up notifications for that calendar."""

import threading

import pytest
from django.db import connection, connections, transaction

from common.concurrency import in_threads
from syncconnections.inbound import sync_requests
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import SyncRequest, lock_calendars
from tests.sync_helpers import connected_room

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="threads share no connection on SQLite"
    ),
]


def backend(_item):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_threads_keep_their_database_connections_between_calls():
    # Given a pool of four threads that has synced twenty calendars
    first = in_threads(backend, range(20), 4)

    # When it syncs twenty more
    second = in_threads(backend, range(20), 4)

    # Then no more than four server processes did all of it, the same ones both times
    assert len(set(first)) <= 4
    assert set(second) <= set(first)


def test_a_notification_is_stored_while_its_calendar_is_being_applied(sandbox, tenant, monkeypatch):
    monkeypatch.setattr(sync_requests, "wake", lambda: None)  # the request is what is looked at
    # Given a sync holding its calendar's row, as it does while it applies a page
    room = connected_room(sandbox, tenant)
    SyncRequest.objects.all().delete()  # the first sync's, asked for when it was activated
    held, release = threading.Event(), threading.Event()

    def applying():
        try:
            with transaction.atomic():
                lock_calendars([room.pk])
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=applying)
    worker.start()
    held.wait(10)
    try:
        # When a notification for that calendar comes in (waiting at most two seconds)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            request_sync([room.pk])
    finally:
        release.set()
        worker.join()

    # Then its sync request was stored at once
    assert list(SyncRequest.objects.values_list("sync_connection_id", flat=True)) == [room.pk]

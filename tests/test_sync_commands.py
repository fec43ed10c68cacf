"""sync_down and nightly_sync, as cron runs them."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from syncconnections import tasks
from syncconnections.inbound import nightly
from syncconnections.models import OutboxEntry, SyncConnection
from tests import factories
from tests.sync_helpers import connected_room, meeting

pytestmark = pytest.mark.django_db


def run(command, **options):
    out = StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue().splitlines()


def test_sync_down_reads_every_syncing_connection(sandbox, room):
    sandbox.outlook_create(room.user_id, **meeting("From Outlook"))

    assert run("sync_down", verbosity=2) == [
        "Synced 1 connections: 1 reservations created, 0 updated."
    ]
    assert run("sync_down") == []  # quiet under cron


def test_sync_down_fails_loudly(sandbox, room):
    sandbox.permissions([])

    with pytest.raises(CommandError, match="403 ErrorAccessDenied"):
        call_command("sync_down", connection=[room.pk], stdout=StringIO())


def test_sync_down_refuses_connections_it_cannot_sync(room):
    inactive = factories.SyncConnectionFactory(active=False)

    with pytest.raises(CommandError) as refused:
        call_command("sync_down", connection=[room.pk, inactive.pk, 9999], stdout=StringIO())

    assert str(refused.value).splitlines() == [
        f"Sync connection {inactive.pk} does not sync down: it is not active and valid, or its "
        "tenant syncs outbound only.",
        "No sync connection has id 9999.",
    ]


def test_nightly_sync_does_its_rounds(sandbox, room):
    sandbox.outlook_create(room.user_id, **meeting("From Outlook"))
    SyncConnection.objects.filter(pk=room.pk).update(
        delta_window_start=timezone.localdate() - dt.timedelta(days=40)
    )
    series = factories.ReservationSeriesFactory(
        resource=room.resource, status=ReservationStatus.CONFIRMED
    )
    factories.ReservationFactory(
        series=series,
        resource=room.resource,
        status=ReservationStatus.CANCELLED,
        direction="inbound",
    )
    series.__class__.objects.filter(pk=series.pk).update(status=ReservationStatus.CONFIRMED)
    waiting = factories.OutboxEntryFactory(
        reservation=factories.ReservationFactory(),
        not_before=timezone.now() + dt.timedelta(hours=1),
    )

    lines = run("nightly_sync", verbosity=2)

    room.refresh_from_db()
    series.refresh_from_db()
    assert lines == [
        # Read twice: listing the new window, then catching the old one up before switching.
        "Synced 1 connections: 2 entries read, 1 reservations created, 0 updated, "
        "0 cancelled, 0 cancellation requests.",
        "Series statuses changed: 1.",
        "Outbound changes retried now: 1.",
        "Subscriptions: 0 created, 0 renewed, 0 removed, 0 failed, 0 left over deleted.",
    ]
    assert room.delta_window_start == timezone.localdate() - dt.timedelta(days=30)
    assert series.status == ReservationStatus.CANCELLED
    assert not OutboxEntry.objects.filter(pk=waiting.pk).exists()


def test_the_nightly_task_hands_on_when_its_time_is_up(sandbox, tenant, monkeypatch):
    first, second = connected_room(sandbox, tenant), connected_room(sandbox, tenant, "Annex")
    sandbox.outlook_create(first.user_id, **meeting("In the first room"))
    sandbox.outlook_create(second.user_id, **meeting("In the second room"))
    monkeypatch.setattr(tasks.task_queue, "task_time_budget", lambda: 0.0)  # one per part
    parts = []
    real = nightly.nightly_sync

    def recorded(**options):
        summary = real(**options)
        parts.append((options["after"], summary.connections, summary.stopped_at))
        return summary

    monkeypatch.setattr(nightly, "nightly_sync", recorded)

    tasks.nightly_sync()  # the continuation runs inline in tests

    assert parts == [(None, 1, first.pk), (first.pk, 1, None)]
    assert sorted(Reservation.objects.values_list("title", flat=True)) == [
        "In the first room",
        "In the second room",
    ]


def test_nightly_sync_fails_loudly_and_still_syncs_the_others(sandbox, tenant):
    broken = connected_room(sandbox, tenant, name="Cellar")
    working = connected_room(sandbox, tenant, name="Attic")
    sandbox.outlook_create(working.user_id, **meeting("In the attic"))
    sandbox.fault(
        f"users/{broken.user_id}/calendarView/delta",
        status=403,
        code="ErrorAccessDenied",
        message="Access is denied.",
        times=10,
    )

    with pytest.raises(CommandError) as failed:
        call_command("nightly_sync", stdout=StringIO())

    lines = str(failed.value).splitlines()
    assert lines[0] == (
        "Synced 2 connections: 1 entries read, 1 reservations created, 0 updated, "
        "0 cancelled, 0 cancellation requests."
    )
    assert lines[1:4] == [
        "Series statuses changed: 0.",
        "Outbound changes retried now: 0.",
        "Subscriptions: 0 created, 0 renewed, 0 removed, 0 failed, 0 left over deleted.",
    ]
    assert len(lines) == 5
    assert lines[4].startswith(
        f"Failed: {broken}: 403 ErrorAccessDenied: Access is denied. (request-id "
    )
    assert list(Reservation.objects.values_list("title", flat=True)) == ["In the attic"]

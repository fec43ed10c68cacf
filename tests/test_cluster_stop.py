"""The task cluster stops in order when its whole process group is told to (Ctrl-C,
systemd), and work claimed by a cluster that stopped or died is taken up by the next one
within seconds of its start, not after the stale-claim age (305 s)."""

import datetime as dt
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.utils import timezone

from bookings.models import Reservation
from syncconnections.models import OutboxEntry
from syncconnections.outbound import queueing as outbound
from tests import factories
from tests.helpers import alive, wait_until

pytestmark = [pytest.mark.real_cluster, pytest.mark.django_db(transaction=True)]


def descendants(pid: int) -> set[int]:
    """Every process started from `pid`, however deep, whatever its group or session."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def running_cluster(start_cluster, **env) -> tuple[subprocess.Popen, set[int]]:
    """A cluster whose workers are up: (its process, every process it started)."""
    process = start_cluster(TASK_WORKERS="2", **env)
    # The sentinel, pusher, monitor and two workers (and the cluster, under a supervisor).
    assert wait_until(lambda: len(descendants(process.pid)) >= 5, timeout=30)
    time.sleep(1)
    return process, descendants(process.pid)


def queued_reservations(room, count: int) -> list[int]:
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    ids = [
        factories.ReservationFactory(
            resource=room.resource,
            start=start + dt.timedelta(hours=i),
            end=start + dt.timedelta(hours=i, minutes=30),
        ).pk
        for i in range(count)
    ]
    outbound.queue(ids)
    return ids


def pushed(sandbox, room) -> list[str]:
    return [e["transactionId"] for e in sandbox.events(room.user_id)]


def test_sigterm_to_the_group_stops_every_process_within_10_seconds(start_cluster):
    process, started = running_cluster(start_cluster)

    os.killpg(process.pid, signal.SIGTERM)

    began = time.monotonic()
    process.wait(timeout=10)
    assert time.monotonic() - began < 10
    assert wait_until(lambda: not [pid for pid in started if alive(pid)], timeout=1)
    assert process.returncode == 0


def test_a_cluster_stopped_mid_batch_leaves_no_claim_and_the_next_goes_on(
    sandbox, room, start_cluster
):
    sandbox.settings(latency=1)
    ids = queued_reservations(room, 100)
    process, _ = running_cluster(start_cluster)
    assert wait_until(lambda: pushed(sandbox, room), timeout=30)

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)

    assert not OutboxEntry.objects.filter(claim__isnull=False).exists()
    sandbox.settings(latency=0)
    start_cluster()
    assert wait_until(lambda: not OutboxEntry.objects.exists(), timeout=20)
    assert sorted(pushed(sandbox, room)) == sorted(
        str(Reservation.objects.get(pk=pk).uuid) for pk in ids
    )


def test_claims_of_a_killed_cluster_are_taken_up_within_seconds(sandbox, room, start_cluster):
    sandbox.settings(latency=1)
    ids = queued_reservations(room, 100)
    process, started = running_cluster(start_cluster)
    assert wait_until(lambda: pushed(sandbox, room), timeout=30)
    assert OutboxEntry.objects.filter(claim__isnull=False).exists()

    for pid in {process.pid, *started}:  # a crash: nothing is told, everything dies at once
        os.kill(pid, signal.SIGKILL)
    process.wait()
    sandbox.settings(latency=0)
    start_cluster()

    assert wait_until(lambda: not OutboxEntry.objects.exists(), timeout=20)
    assert len(pushed(sandbox, room)) == len(ids) == len(set(pushed(sandbox, room)))

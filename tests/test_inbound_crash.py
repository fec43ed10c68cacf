"""A worker killed in the middle of a delta run: the job runs again and ends where an
undisturbed run would have."""

import signal

import pytest

from bookings.models import Reservation
from syncconnections.inbound import delta
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import CompanyLogEntry, OutlookEvent, SyncConnection, SyncRequest
from tests.helpers import stop_group, wait_until
from tests.sync_helpers import meeting

pytestmark = [pytest.mark.real_cluster, pytest.mark.django_db(transaction=True)]

# Short task time-outs, so the killed worker's job is handed out again within the test.
FAST = {"TASK_TIMEOUT": "10", "TASK_RETRY": "20"}


def test_sigkill_during_a_delta_run(sandbox, room, start_cluster):
    SyncConnection.objects.filter(pk=room.pk).update(delta_token="")  # a full read
    subjects = {f"Meeting {i:03}" for i in range(750)}  # two pages
    sandbox.outlook_create_many(
        room.user_id,
        [
            meeting(subject, days=1 + i // 15, hour=7 + i % 15)  # one room: none overlap
            for i, subject in enumerate(sorted(subjects))
        ],
    )
    # The second page takes long: the worker is killed while waiting for it.
    sandbox.fault("calendarView/delta$", kind="delay", seconds=30, skip=1, times=1)
    worker = start_cluster(**FAST)
    request_sync([room.pk], reason="test")

    assert wait_until(lambda: Reservation.objects.count() == delta.PAGE_SIZE, timeout=30)
    stop_group(worker, signal.SIGKILL)
    start_cluster(**FAST)

    assert wait_until(lambda: not SyncRequest.objects.exists(), timeout=90)
    assert set(Reservation.objects.values_list("title", flat=True)) == subjects
    assert Reservation.objects.count() == 750
    assert OutlookEvent.objects.count() == 750
    assert CompanyLogEntry.objects.count() == 750
    assert "$deltatoken=" in SyncConnection.objects.get(pk=room.pk).delta_token

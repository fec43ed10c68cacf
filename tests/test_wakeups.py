"""The wake-up flag: one queued task per burst, and no work left behind by a commit race."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf
from django_q.models import OrmQ

from syncconnections import wakeups
from syncconnections.models import WakeUp

pytestmark = pytest.mark.django_db

TASK = "syncconnections.inbound.sync_requests.sync_pending"


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)


def test_a_burst_queues_one_task():
    for _ in range(5):
        wakeups.wake("worker", TASK, "label")

    assert [t.func() for t in OrmQ.objects.all()] == [TASK]
    assert WakeUp.objects.get(name="worker").raised is True


@pytest.mark.django_db(transaction=True)  # no test-wide transaction around it
def test_once_raised_a_caller_outside_a_transaction_only_reads():
    wakeups.wake("worker", TASK, "label")

    with CaptureQueriesContext(connection) as queries:
        wakeups.wake("worker", TASK, "label")

    assert [q["sql"].split()[0] for q in queries] == ["SELECT"]
    assert "FOR UPDATE" not in queries[0]["sql"]


def test_inside_a_transaction_the_flag_is_locked_until_commit():
    wakeups.wake("worker", TASK, "label")

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        wakeups.wake("worker", TASK, "label")

    assert any("FOR UPDATE" in q["sql"] for q in queries) == (
        connection.features.has_select_for_update
    )


def test_a_lowered_flag_queues_again():
    wakeups.wake("worker", TASK, "label")
    wakeups.lower("worker")

    wakeups.wake("worker", TASK, "label")

    assert OrmQ.objects.count() == 2

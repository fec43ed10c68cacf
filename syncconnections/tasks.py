"""The Microsoft 365 integration's recurring jobs (django-q2 task functions) and their
schedules. Jobs enqueued on demand live beside what they do (connection_setup,
inbound.subscriptions, inbound.sync_requests, outbound.worker) and are enqueued by
reference. Each is safe to run twice and reads the current state when it runs."""

from __future__ import annotations

import datetime as dt

from django_q.tasks import async_task

from common import task_queue
from common.task_queue import Recurring
from syncconnections import failure_digests, outbound
from syncconnections.inbound import nightly, subscriptions, sync_requests


def push_outbound() -> dict[str, int]:
    return outbound.push_outbound()


def sync_pending() -> dict[str, int]:
    return sync_requests.sync_pending()


def refresh_subscriptions() -> dict[str, int]:
    return subscriptions.refresh_subscriptions().__dict__


def send_failure_digests() -> int:
    return failure_digests.send_failure_digests()


def nightly_sync(after: int | None = None) -> list[str]:
    # A part that ran out of time hands on to the next.
    summary = nightly.nightly_sync(after=after, time_budget=task_queue.task_time_budget())
    if summary.stopped_at is not None:
        async_task(nightly_sync, summary.stopped_at, task_name="Nightly sync (continued)")
    return summary.lines()


SCHEDULES = [
    Recurring("Push reservations to Outlook", push_outbound, minutes=1),
    Recurring("Sync down requested connections", sync_pending, minutes=1),
    Recurring("Send failure notification digests", send_failure_digests, minutes=5),
    Recurring("Refresh live-sync subscriptions", refresh_subscriptions, minutes=60),
    Recurring("Nightly sync", nightly_sync, daily_at=dt.time(2, 0)),
]

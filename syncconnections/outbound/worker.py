"""The outbound worker: claims outbox entries and has them pushed, within a time budget."""

from __future__ import annotations

import time
from dataclasses import asdict

from django.db import transaction

from common import task_queue, work_queue
from syncconnections import graph, wakeups
from syncconnections.models import OutboxEntry
from syncconnections.outbound.orphans import OrphanRemover
from syncconnections.outbound.pusher import Pusher
from syncconnections.outbound.summary import PushSummary

WORKER = "outbound"
CLAIM_SIZE = 100
GATHER_QUIET = 0.5  # seconds without a new booking: push what is there
GATHER_MOST = 2.0  # seconds a push waits at most for more bookings to share its calls


def wake() -> None:
    """Enqueue the outbound worker unless it is already waiting to run."""
    wakeups.wake(WORKER, push_outbound, "push to Outlook")


def push_outbound(time_budget: float | None = None) -> dict[str, int]:
    """Work off the orphaned events and the outbox. Safe to run at any time, twice."""
    budget = task_queue.task_time_budget() if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    # Before the flag is lowered: bookings made meanwhile find it raised and queue no other
    # run, which would gather beside this one.
    gather()
    wakeups.lower(WORKER)
    summary = PushSummary()
    OrphanRemover(summary).run()
    while not task_queue.stop_requested() and (entries := claim()):
        pusher = Pusher(entries, summary)
        try:
            pusher.run()
        except Exception:
            # Not left claimed by a live worker until the stale-claim age: tried again after
            # a back-off (a deadlock, a lost database connection; a bug keeps backing off).
            for entry in entries:
                work_queue.retry_later(entry)
            raise
        if time.monotonic() > deadline:
            wake()  # the rest goes to a fresh run
            break
        if len(entries) < CLAIM_SIZE and not pusher.follow_up:
            # No backlog, and no follow-up of its own to send: what came in since the claim
            # raised the flag again, and a fresh run gathers it, rather than this one
            # pushing it a few at a time.
            break
    return asdict(summary)


def gather() -> None:
    """While bookings keep coming (a new one within GATHER_QUIET), wait for them, up to
    GATHER_MOST, so that they share the push's calls: a push of one booking costs a read of
    the room's calendar and a write, as does a push of twenty. A lone booking waits
    GATHER_QUIET. Run inline, inside the caller's transaction (tests, a command), it does
    not wait: nothing else could arrive."""
    if transaction.get_connection().in_atomic_block:
        return
    began = time.monotonic()
    ready = OutboxEntry.objects.filter(work_queue.ready())
    seen = ready.count()
    while (
        0 < seen < graph.BATCH_SIZE  # nothing to push (the minute's run): no wait
        and time.monotonic() - began < GATHER_MOST
        and not task_queue.stop_requested()
    ):
        time.sleep(GATHER_QUIET)
        now_seen = ready.count()
        if now_seen == seen:
            return
        seen = now_seen


def claim(limit: int = CLAIM_SIZE) -> list[OutboxEntry]:
    """Claim up to `limit` entries that are due, oldest first."""
    claimed = work_queue.claim(OutboxEntry.objects.all(), order_by="queued_at", limit=limit)
    return list(
        claimed.select_related(
            "reservation__resource__location", "reservation__staff", "reservation__series"
        )
    )

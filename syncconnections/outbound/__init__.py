"""Outbound sync: keep each reservation's Outlook events in step with the reservation.

A change to a reservation puts it in the outbox (queueing.py) in the same transaction and
wakes the worker (worker.py), which claims entries a hundred at a time and has a Pusher
(pusher.py) bring their events up to date through Graph's $batch; series (series.py) go out
as recurring events, and events of deleted reservations are removed (orphans.py). The worker
always reads the reservations as they are now, so late or repeated runs do the right thing.
See docs/microsoft365.md.
"""

from syncconnections.outbound.queueing import (
    forget_reservation,
    left_series,
    occurrence_limit,
    queue,
    queue_connection,
    queue_new,
    wants_push,
)
from syncconnections.outbound.summary import PushSummary
from syncconnections.outbound.worker import push_outbound, wake

__all__ = [
    "PushSummary",
    "forget_reservation",
    "left_series",
    "occurrence_limit",
    "push_outbound",
    "queue",
    "queue_connection",
    "queue_new",
    "wake",
    "wants_push",
]

"""Claims left by worker processes that are gone (killed, crashed, stopped mid-batch)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from common.task_queue import claimant_is_gone
from syncconnections.inbound import requests as inbound
from syncconnections.models import OutboxEntry, SyncRequest
from syncconnections.outbound import queueing as outbound


def take_up_claims_of_gone_workers() -> int:
    """Release the claims of this host's worker processes that no longer exist, and wake the
    workers, so a cluster started after a crash goes on at once rather than after the
    stale-claim age. Claims from other hosts are left to that age."""
    queues: list[tuple[type[models.Model], Callable[[], None]]] = [
        (OutboxEntry, outbound.wake),
        (SyncRequest, inbound.wake),
    ]
    released = 0
    for model, wake in queues:
        claimed = model.objects.filter(claim__isnull=False)
        owners = set(claimed.values_list("claimed_by", flat=True).distinct())
        gone = [owner for owner in owners if owner and claimant_is_gone(owner)]
        # A gone process claims nothing more: releasing by its name races no one.
        count = claimed.filter(claimed_by__in=gone).update(claim=None, claimed_at=None)
        if count:
            wake()
        released += count
    return released

"""Wake a background worker at most once at a time.

Each worker has a flag (WakeUp). Raising it enqueues the worker's task; the worker lowers it
when it starts. The flag's row stays locked until the raising transaction commits, and the
worker lowers the flag before it looks for work: so a worker never starts between a change
and its commit and misses it."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django_q.tasks import async_task

from syncconnections.models import WakeUp


def wake(name: str, task: Callable[[], object], label: str) -> None:
    """Enqueue `task` unless the worker `name` is already waiting to run."""
    if not transaction.get_connection().in_atomic_block and (
        WakeUp.objects.filter(name=name, raised=True).exists()
    ):
        # Already waiting, and lowered only when the worker starts, before it reads its work,
        # which the caller has committed: no lock needed (a burst of notifications would
        # otherwise queue on this one row). Inside a transaction the lock below is what keeps
        # the worker from lowering the flag and reading its work before the caller commits.
        return
    with transaction.atomic():
        flag = WakeUp.objects.select_for_update().filter(name=name).first()
        if flag is None:
            flag, _ = WakeUp.objects.get_or_create(name=name)
        if flag.raised:
            return
        WakeUp.objects.filter(pk=flag.pk).update(raised=True)
        async_task(task, task_name=label)


def lower(name: str) -> None:
    WakeUp.objects.filter(name=name).update(raised=False)


def others_waiting(name: str) -> bool:
    """A worker other than `name` has been woken and waits for a task worker to run it."""
    return WakeUp.objects.filter(raised=True).exclude(name=name).exists()

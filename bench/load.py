"""What the load benchmarks share: users at work in threads, and waiting for the work to be
done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def at_once(*works: Callable[[], None]) -> None:
    """Run the works in threads of their own (each with its own database connection) and
    wait for all; the first error is raised after."""
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> threading.Thread:
        def body() -> None:
            from django.db import connections

            try:
                work()
            except BaseException as exc:  # reported after the join
                errors.append(exc)
            finally:
                connections.close_all()

        return threading.Thread(target=body)

    threads = [guarded(work) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def wait_until_settled(timeout: float, fail: bool = True) -> float | None:
    """When nothing was left to do for five seconds running: no outbox entries, sync
    requests or queued tasks. The moment the last work was seen done; None (or an error,
    with `fail`) when work is left after `timeout`."""
    from django_q.models import OrmQ

    from syncconnections.models import OutboxEntry, SyncRequest

    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        busy = OutboxEntry.objects.exists() or SyncRequest.objects.exists() or OrmQ.objects.exists()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 5:
            return quiet_since
        time.sleep(0.2)
    if fail:
        raise RuntimeError(f"still busy after {timeout:.0f} s")
    return None

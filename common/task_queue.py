"""What every background job shares: time limits derived from the task cluster's time-out,
who holds a claim, and whether the cluster has asked its workers to stop."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings

# The signal the cluster's supervisor (manage.py qcluster) sends to ask workers to stop
# taking work. Everything else in the cluster ignores it (set before it starts).
STOP_SIGNAL = signal.SIGUSR1

_stop_requested = False


def task_time_budget() -> float:
    """Seconds a worker task may work before it hands on to a new run: well inside the task
    time-out, after which the cluster kills it."""
    return settings.Q_CLUSTER["timeout"] * 0.8


def stale_claim_age() -> dt.timedelta:
    """A claim older than the task time-out is a dead worker's: the cluster has killed it."""
    return dt.timedelta(seconds=settings.Q_CLUSTER["timeout"] + 5)


def listen_for_stop() -> None:
    """In a worker process: note the supervisor's request to stop."""

    def note(signum: int, frame: object) -> None:
        global _stop_requested
        _stop_requested = True

    # A worker process's main thread; not a task run inline by a test's or server's thread.
    if threading.current_thread() is threading.main_thread():
        signal.signal(STOP_SIGNAL, note)


def stop_requested() -> bool:
    """The cluster is stopping: take no more work, release what is claimed and not begun."""
    return _stop_requested


def _started(pid: int) -> str | None:
    """When the process started (clock ticks since boot), None if there is no such process
    or it has ended (a zombie): with the pid it names one process, even after the pid is
    reused."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


@cache
def _identity(pid: int) -> str:
    return f"{socket.gethostname()}/{pid}/{_started(pid) or ''}"


def claimant() -> str:
    """Who claims work: this host and process, so a cluster started later on this host can
    tell that the claim's process is gone (a claim from another host waits out its age)."""
    return _identity(os.getpid())


def claimant_is_gone(name: str) -> bool:
    host, _, rest = name.partition("/")
    pid, _, started = rest.partition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's process: only its claim's age tells
    return _started(int(pid)) != started or started == ""


@dataclass(frozen=True)
class Recurring:
    """A job that runs every `minutes`, or daily at `daily_at` (site time). Each app lists
    its own in its tasks.py (SCHEDULES); `manage.py setup_schedules` registers them all.
    Each is a catch-up job: it works off whatever is due, so a missed run is made good by
    the next."""

    name: str
    func: Callable[..., object]
    minutes: int | None = None
    daily_at: dt.time | None = None

    @property
    def path(self) -> str:
        """The job as the task queue stores it."""
        return f"{self.func.__module__}.{self.func.__qualname__}"

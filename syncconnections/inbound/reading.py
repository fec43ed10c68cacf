"""What reading a calendar (Sync Down) is, whichever the provider: its window, its result,
the next page read while this one is applied, and how a failure is recorded."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from common.http_client import TransportError
from errors.models import Operation
from errors.recording import record
from syncconnections.inbound.apply import PageResult
from syncconnections.models import SyncConnection

logger = logging.getLogger(__name__)

T = TypeVar("T")


def current_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return (
        today - dt.timedelta(days=settings.SYNC_WINDOW_DAYS_BACK),
        today + dt.timedelta(days=settings.SYNC_WINDOW_DAYS_AHEAD),
    )


def moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


@dataclass
class SyncResult:
    connection: SyncConnection
    pages: int = 0
    events: int = 0
    resynced: bool = False
    error: TransportError | None = None
    changes: PageResult = field(default_factory=PageResult)
    caught_up: bool = False  # a roll of the window read the primary query to its end

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def throttled_for(self) -> float | None:
        """Seconds the provider asked to wait before this calendar is read again, if it did."""
        return self.error.retry_after if self.error is not None else None


def read_ahead(pages: Iterator[T]) -> Iterator[T]:
    """The same pages, the next one fetched and read (in a thread) while the caller applies
    this one: the provider's latency and our writes overlap instead of adding up. Errors arrive in
    order."""
    ahead: queue.Queue[tuple[T | None, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for page in pages:
                ahead.put((page, None))
                if stop.is_set():
                    return
            ahead.put((None, None))
        except BaseException as exc:  # handed to the caller, raised there
            ahead.put((None, exc))

    reader = threading.Thread(target=fetch, name="delta read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            page, error = ahead.get()
            if error is not None:
                raise error
            if page is None:
                return
            yield page
    finally:
        stop.set()
        while reader.is_alive():  # unblock a pending put, then let the thread end
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.1)


def failed(connection: SyncConnection, result: SyncResult, exc: TransportError, stage: str) -> None:
    result.error = exc
    if exc.retry_after is not None:
        # Throttled: the provider said when to come back; the caller defers the sync by that much.
        # What was read so far is committed, and the next read goes on from there.
        logger.info("Sync Down of %s throttled for %.0f s: %s", connection, exc.retry_after, exc)
        return
    record(
        operation=Operation.SYNC_DOWN,
        stage=stage,
        connection=connection,
        error=exc,
    )

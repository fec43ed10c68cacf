"""Sync Down: read a connection's calendar with a delta query over a rolling window.

The primary delta token (a Graph link) follows the window in use. Each page is applied and
committed together with the link that leads on from it, so a run that stops half-way resumes
where it stopped. When the window has rolled on by a day, a second delta query over the new
window is primed with the secondary token; once it reaches its end it becomes the primary.
A 410 (the token expired) drops the token and starts over: applying an event twice changes
nothing, so no reservation or log entry is duplicated. See docs/sync.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import errors
from errors.models import Operation
from syncconnections.graph import DeltaPage, GraphClient, GraphError, ResyncNeeded
from syncconnections.inbound.apply import PageApplier, PageResult
from syncconnections.models import SyncConnection, SyncMode

logger = logging.getLogger(__name__)

INBOUND_MODES = (SyncMode.BIDIRECTIONAL, SyncMode.INBOUND)
# Asked of Graph with Prefer: odata.maxpagesize. Graph may send fewer (pages are followed
# whatever their size); bigger pages mean fewer round trips and commits in a first sync.
PAGE_SIZE = 500


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
    error: GraphError | None = None
    changes: PageResult = field(default_factory=PageResult)

    @property
    def ok(self) -> bool:
        return self.error is None


def syncs_down(connection: SyncConnection) -> bool:
    return connection.active and connection.valid and connection.tenant.sync_mode in INBOUND_MODES


def sync_down(connection_id: int) -> SyncResult:
    """Bring the back office up to date with the connection's calendar."""
    connection = SyncConnection.objects.select_related("tenant", "resource__location", "staff").get(
        pk=connection_id
    )
    result = SyncResult(connection)
    if not syncs_down(connection):
        return result
    client = GraphClient.for_tenant(connection.tenant)
    for attempt in (1, 2):
        try:
            _follow(connection, client, result, secondary=False)
            break
        except ResyncNeeded:
            if attempt == 2:
                raise
            logger.info("delta token of %s expired: resyncing", connection)
            result.resynced = True
            SyncConnection.objects.filter(pk=connection.pk).update(
                delta_token="", delta_window_start=None, delta_window_end=None
            )
            connection.delta_token = ""
        except GraphError as exc:
            _failed(connection, result, exc, "delta page")
            return result
    return result


def roll_window(connection_id: int) -> SyncResult:
    """Prime the delta of today's window with the secondary token, then switch to it."""
    connection = SyncConnection.objects.select_related("tenant", "resource__location", "staff").get(
        pk=connection_id
    )
    result = SyncResult(connection)
    if not syncs_down(connection) or not connection.delta_window_start:
        return result
    if connection.delta_window_start >= current_window()[0] - dt.timedelta(days=1):
        return result  # less than a day old
    try:
        _follow(connection, GraphClient.for_tenant(connection.tenant), result, secondary=True)
    except ResyncNeeded:
        SyncConnection.objects.filter(pk=connection.pk).update(
            secondary_delta_token="", secondary_window_start=None, secondary_window_end=None
        )
    except GraphError as exc:
        _failed(connection, result, exc, "roll window")
    return result


def _follow(
    connection: SyncConnection, client: GraphClient, result: SyncResult, *, secondary: bool
) -> None:
    token_field = "secondary_delta_token" if secondary else "delta_token"
    start_field = "secondary_window_start" if secondary else "delta_window_start"
    end_field = "secondary_window_end" if secondary else "delta_window_end"
    link = getattr(connection, token_field) or None
    if link:
        start, end = getattr(connection, start_field), getattr(connection, end_field)
    else:
        start, end = current_window()
    calendar = connection.calendar_id if connection.calendar_name else None
    pages = client.delta_pages(
        connection.user_id,
        start=moment(start),
        end=moment(end),
        link=link,
        calendar_id=calendar,
        page_size=PAGE_SIZE,
    )
    for page in read_ahead(pages):
        with transaction.atomic():
            changes = PageApplier(connection, client, page.events).apply()
            following = page.next_link or page.delta_link or ""
            if secondary and page.delta_link:
                # Primed: today's window becomes the one in use.
                updates = {
                    "delta_token": following,
                    "delta_window_start": start,
                    "delta_window_end": end,
                    "secondary_delta_token": "",
                    "secondary_window_start": None,
                    "secondary_window_end": None,
                }
            else:
                updates = {token_field: following, start_field: start, end_field: end}
            SyncConnection.objects.filter(pk=connection.pk).update(
                last_synced_at=timezone.now(), **updates
            )
        result.pages += 1
        result.events += len(page.events)
        result.changes.add(changes)


def read_ahead(pages: Iterator[DeltaPage]) -> Iterator[DeltaPage]:
    """The same pages, the next one fetched (in a thread) while the caller applies this one:
    Graph's latency and our writes overlap instead of adding up. Errors arrive in order."""
    ahead: queue.Queue[tuple[DeltaPage | None, BaseException | None]] = queue.Queue(maxsize=1)
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


def _failed(connection: SyncConnection, result: SyncResult, exc: GraphError, stage: str) -> None:
    result.error = exc
    errors.record(
        operation=Operation.SYNC_DOWN,
        stage=stage,
        connection=connection,
        status_code=exc.status,
        request_id=exc.request_id,
        message=exc.message,
    )

"""Sync Down: read a connection's calendar with a delta query over a rolling window.

The primary delta token (a Graph link) follows the window in use. Each page is applied and
committed together with the link that leads on from it, so a run that stops half-way resumes
where it stopped. When the window has rolled on by a day, a second delta query lists the new
window with the secondary token; once it reaches its end, the primary is caught up and the
secondary becomes the primary. A 410 (the token expired) drops the token and lists the window
afresh. A fresh listing reports no deletions, so linked events it did not list are checked
with Graph. Applying an event twice changes nothing: no reservation or log entry is
duplicated. See docs/sync.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bookings.models import ReservationStatus
from errors.models import Operation
from errors.recording import resolve
from syncconnections.graph import BatchResult, DeltaPage, GraphClient, GraphError, ResyncNeeded
from syncconnections.inbound import google_sync
from syncconnections.inbound.apply import PageApplier, PageResult
from syncconnections.inbound.events import InboundEvent
from syncconnections.inbound.reading import SyncResult, current_window, moment, read_ahead
from syncconnections.inbound.reading import failed as _failed
from syncconnections.models import CompanyLogEntry, OutlookEvent, SyncConnection

logger = logging.getLogger(__name__)

# Asked of Graph with Prefer: odata.maxpagesize. Graph may send fewer (pages are followed
# whatever their size); bigger pages mean fewer round trips and commits in a first sync.
PAGE_SIZE = 500


def _load(connection_id: int) -> SyncConnection:
    return SyncConnection.objects.select_related("tenant", "resource__location", "staff").get(
        pk=connection_id
    )


@dataclass
class FirstPage:
    """A delta read's first answer, fetched ahead in a `$batch` with other mailboxes' (see
    first_pages): used when the connection still reads from the same place."""

    where: str  # the link read from, or the fresh window's "start/end"
    answer: BatchResult
    read_at: dt.datetime  # when the read was sent: the calendar's last read
    # Graph's answers for the page's removed events that Bookbridge knows (event id → the
    # event, or 404): checked in one $batch with the other mailboxes' (check_removals).
    checked: dict[str, BatchResult] = field(default_factory=dict)


def reading_from(
    connection: SyncConnection, secondary: bool = False
) -> tuple[str, dt.date, dt.date]:
    """Where the connection's delta read (the primary, or the secondary that lists the next
    window) goes on from: its link (or "start/end" of a fresh listing), and the window."""
    token, start, end = (
        (
            connection.secondary_delta_token,
            connection.secondary_window_start,
            connection.secondary_window_end,
        )
        if secondary
        else (connection.delta_token, connection.delta_window_start, connection.delta_window_end)
    )
    if token:
        return token, start, end
    start, end = current_window()
    return f"{start}/{end}", start, end


def due_to_roll(connection: SyncConnection) -> bool:
    """The window has moved on by a day since the delta query began: list the new one."""
    return bool(connection.delta_window_start) and (
        connection.delta_window_start < current_window()[0] - dt.timedelta(days=1)
    )


def first_pages(connection_ids: list[int], *, secondary: bool = False) -> dict[int, FirstPage]:
    """The first delta page of each connection (of its secondary query, when rolling the
    window), twenty mailboxes to a `$batch` call per tenant: the usual read (one page after
    a notification) costs a twentieth of a round trip. Each answer is its own connection's
    (a 410, a 429 or a 5xx included); a batch that fails as a whole leaves its connections
    to read on their own."""
    connections = [
        c
        for c in SyncConnection.objects.filter(pk__in=connection_ids).select_related("tenant")
        if c.syncs_down
        and not c.tenant.is_google  # Google's are read on their own (google_sync)
        and not c.calendar_name  # a named calendar reads from beta
        and (due_to_roll(c) or not secondary)
    ]
    by_tenant: dict[int, list[SyncConnection]] = {}
    for connection in connections:
        by_tenant.setdefault(connection.tenant_id, []).append(connection)
    found: dict[int, FirstPage] = {}
    for group in by_tenant.values():
        client = GraphClient.for_tenant(group[0].tenant)
        asked = []
        for connection in group:
            where, start, end = reading_from(connection, secondary)
            request = client.delta_request(
                str(connection.pk),
                connection.user_id,
                start=moment(start),
                end=moment(end),
                link=(connection.secondary_delta_token if secondary else connection.delta_token)
                or None,
                page_size=PAGE_SIZE,
            )
            if request is not None:
                asked.append((connection, where, request))
        read_at = timezone.now()
        try:
            answers = client.batch([request for _, _, request in asked])
        except GraphError:
            continue
        firsts = {
            connection.pk: FirstPage(where, answer, read_at)
            for (connection, where, _), answer in zip(asked, answers, strict=True)
        }
        check_removals(client, {c.pk: c for c in group}, firsts)
        found.update(firsts)
    return found


def check_removals(
    client: GraphClient, connections: dict[int, SyncConnection], firsts: dict[int, FirstPage]
) -> None:
    """Ask Graph about the removed events of these first pages that Bookbridge knows (linked
    or logged), all mailboxes in one `$batch` call: an @removed entry is a deletion or an
    event that left the window (PageApplier._confirm_removals), and a cancellation in
    Outlook would otherwise cost each calendar a round trip of its own. A call that fails
    leaves the checks to each page."""
    removed = {
        (pk, entry["id"])
        for pk, first in firsts.items()
        if first.answer.ok and isinstance(first.answer.body, dict)
        for entry in first.answer.body.get("value") or []
        if isinstance(entry, dict) and "@removed" in entry and isinstance(entry.get("id"), str)
    }
    if not removed:
        return
    ids = {event_id for _, event_id in removed}
    pks = {pk for pk, _ in removed}
    known = set(
        OutlookEvent.objects.filter(sync_connection_id__in=pks, event_id__in=ids).values_list(
            "sync_connection_id", "event_id"
        )
    ) | set(
        CompanyLogEntry.objects.filter(
            sync_connection_id__in=pks, event_id__in=[i[:255] for i in ids]
        ).values_list("sync_connection_id", "event_id")
    )
    wanted = sorted(
        (pk, event_id)
        for pk, event_id in removed
        if (pk, event_id) in known or (pk, event_id[:255]) in known
    )
    requests = [
        client.get_event_request(str(n), connections[pk].user_id, event_id)
        for n, (pk, event_id) in enumerate(wanted)
    ]
    try:
        results = client.batch(requests)
    except GraphError:
        return
    for (pk, event_id), result in zip(wanted, results, strict=True):
        firsts[pk].checked[event_id] = result


def sync_down(connection_id: int, first: FirstPage | None = None) -> SyncResult:
    """Bring the back office up to date with the connection's calendar."""
    connection = _load(connection_id)
    result = SyncResult(connection)
    if not connection.syncs_down:
        return result
    if connection.tenant.is_google:
        SyncConnection.objects.filter(pk=connection_id).update(delta_read_at=timezone.now())
        google_sync.sync_down(connection, result)
        return result
    first = _still_current(first, connection, secondary=False)
    read_at = first.read_at if first is not None else timezone.now()
    SyncConnection.objects.filter(pk=connection_id).update(delta_read_at=read_at)
    client = GraphClient.for_tenant(connection.tenant)
    try:
        _catch_up(connection, client, result, first)
    except GraphError as exc:
        _failed(connection, result, exc, "delta page")
    else:
        resolve(Operation.SYNC_DOWN, connection)
    return result


def _catch_up(
    connection: SyncConnection,
    client: GraphClient,
    result: SyncResult,
    first: FirstPage | None = None,
) -> None:
    """Follow the primary token to its end; when it has expired, list the window afresh."""
    try:
        _follow(connection, client, result, secondary=False, first=first)
    except ResyncNeeded:
        logger.info("delta token of %s expired: resyncing", connection)
        result.resynced = True
        SyncConnection.objects.filter(pk=connection.pk).update(
            delta_token="", delta_window_start=None, delta_window_end=None
        )
        connection.delta_token = ""
        _follow(connection, client, result, secondary=False)


def _still_current(
    first: FirstPage | None, connection: SyncConnection, *, secondary: bool
) -> FirstPage | None:
    """The answer fetched ahead, unless the query has read on from elsewhere meanwhile."""
    if first is None or first.where != reading_from(connection, secondary)[0]:
        return None
    return first


def roll_window(
    connection_id: int, secondary_first: FirstPage | None = None, first: FirstPage | None = None
) -> SyncResult:
    """Move the delta query on to today's window: list it with the secondary token, catch the
    primary up to now (so nothing changed before the listing is missed), then switch. The
    first pages of both may have been fetched ahead (first_pages)."""
    connection = _load(connection_id)
    result = SyncResult(connection)
    if not connection.syncs_down or not due_to_roll(connection) or connection.tenant.is_google:
        # Less than a day old; or Google's, whose sync token follows every change, whenever.
        return result
    client = GraphClient.for_tenant(connection.tenant)
    try:
        primed = _follow(connection, client, result, secondary=True, first=secondary_first)
    except ResyncNeeded:
        SyncConnection.objects.filter(pk=connection.pk).update(
            secondary_delta_token="", secondary_window_start=None, secondary_window_end=None
        )
        return result
    except GraphError as exc:
        _failed(connection, result, exc, "roll window")
        return result
    try:
        _catch_up(connection, client, result, _still_current(first, connection, secondary=False))
    except GraphError as exc:
        _failed(connection, result, exc, "delta page")
        return result
    result.caught_up = True
    if primed is not None:
        SyncConnection.objects.filter(
            pk=connection.pk, secondary_delta_token=primed.delta_link
        ).update(
            delta_token=F("secondary_delta_token"),
            delta_window_start=F("secondary_window_start"),
            delta_window_end=F("secondary_window_end"),
            secondary_delta_token="",
            secondary_window_start=None,
            secondary_window_end=None,
        )
    return result


@dataclass
class Round:
    """A delta round followed to its deltaLink; `seen` holds the ids it listed when it ran
    from its first page within this call (a fresh listing of the window), else None."""

    delta_link: str
    seen: set[str] | None


def _follow(
    connection: SyncConnection,
    client: GraphClient,
    result: SyncResult,
    *,
    secondary: bool,
    first: FirstPage | None = None,
) -> Round | None:
    """Apply the token's pages to the end; the round when it reached its deltaLink. A round
    started afresh lists every event of the window: links in the window that it did not list
    are checked with Graph (see reconcile)."""
    token_field = "secondary_delta_token" if secondary else "delta_token"
    start_field = "secondary_window_start" if secondary else "delta_window_start"
    end_field = "secondary_window_end" if secondary else "delta_window_end"
    link = getattr(connection, token_field) or None
    if link:
        start, end = getattr(connection, start_field), getattr(connection, end_field)
    else:
        start, end = current_window()
    calendar = connection.calendar_id if connection.calendar_name else None
    first = _still_current(first, connection, secondary=secondary)
    pages = client.delta_pages(
        connection.user_id,
        start=moment(start),
        end=moment(end),
        link=link,
        calendar_id=calendar,
        page_size=PAGE_SIZE,
        first=first.answer if first is not None else None,
    )
    seen: set[str] | None = set() if link is None else None
    delta_link = ""
    checked = first.checked if first is not None else {}  # for the first page only
    for page, events in read_ahead((page, read_events(page)) for page in pages):
        with transaction.atomic():
            changes = PageApplier(connection, client, events, checked).apply()
            checked = {}
            following = page.next_link or page.delta_link or ""
            SyncConnection.objects.filter(pk=connection.pk).update(
                last_synced_at=timezone.now(),
                **{token_field: following, start_field: start, end_field: end},
            )
        if seen is not None:
            seen.update(event["id"] for event in page.events)
        delta_link = page.delta_link or ""
        result.pages += 1
        result.events += len(page.events)
        result.changes.add(changes)
    if not delta_link:
        return None
    if seen is not None:
        result.changes.add(reconcile(connection, client, seen, start, end))
    return Round(delta_link, seen)


def reconcile(
    connection: SyncConnection,
    client: GraphClient,
    seen: set[str],
    start: dt.date,
    end: dt.date,
) -> PageResult:
    """A fresh listing reports no deletions: a linked event of the window that it did not
    list was deleted, or moved out of the window, since the last sync. Applied as removals,
    each is checked with Graph first (a moved one is an update)."""
    changes = PageResult()
    missing = [
        event_id
        for event_id in OutlookEvent.objects.filter(
            sync_connection=connection,
            reservation__start__lt=moment(end),
            reservation__end__gt=moment(start),
        )
        .exclude(reservation__status=ReservationStatus.CANCELLED)
        .values_list("event_id", flat=True)
        if event_id not in seen
    ]
    for first in range(0, len(missing), PAGE_SIZE):
        removed = [
            InboundEvent({"id": event_id, "@removed": {"reason": "deleted"}})
            for event_id in missing[first : first + PAGE_SIZE]
        ]
        with transaction.atomic():
            changes.add(PageApplier(connection, client, removed).apply())
    return changes


def read_events(page: DeltaPage) -> list[InboundEvent]:
    return [InboundEvent(data) for data in page.events]


def unexpected_failure(connection_id: int, exc: Exception) -> SyncResult:
    """A transient Sync Down failure, recorded, for an error that is not Graph's."""
    connection = SyncConnection.objects.get(pk=connection_id)
    result = SyncResult(connection)
    error = GraphError(f"{type(exc).__name__}: {exc}", permanent=False)
    _failed(connection, result, error, "unexpected error")
    return result

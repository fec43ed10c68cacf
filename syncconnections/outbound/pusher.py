"""Bringing the events of one claimed batch of outbox entries up to date."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from bookings.models import Reservation, ReservationSeries, ReservationStatus
from common import work_queue
from common.http_client import TransportError
from errors.models import Operation, SyncError
from errors.recording import record
from syncconnections import google_events, payloads, providers, room_conflicts
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.graph import BatchRequest, BatchResult, GraphClient, GraphError
from syncconnections.models import (
    ConflictOrigin,
    EventKind,
    OutboxEntry,
    OutlookConflict,
    OutlookCreation,
    OutlookEvent,
    SyncConnection,
    link_order,
    lock_calendars,
)
from syncconnections.outbound import google_push
from syncconnections.outbound import series as series_rules
from syncconnections.outbound.summary import PushSummary

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
UPDATE_WINDOW = dt.timedelta(hours=24)
PUSHED_OPERATIONS = (Operation.CREATE, Operation.UPDATE, Operation.DELETE)


class Action(Enum):
    """What a push does to an event: the failed operation and stage a SyncError names."""

    CREATE = (Operation.CREATE, "create event")
    CREATE_SERIES = (Operation.CREATE, "create series")
    UPDATE = (Operation.UPDATE, "update event")
    UPDATE_SERIES = (Operation.UPDATE, "update series")
    DELETE = (Operation.DELETE, "delete event")

    def __init__(self, operation: Operation, stage: str) -> None:
        self.operation = operation
        self.stage = stage

    @property
    def creates(self) -> bool:
        return self.operation == Operation.CREATE


@dataclass
class Op:
    action: Action
    connection: SyncConnection
    entries: list[OutboxEntry]
    reservation: Reservation | None = None
    series: ReservationSeries | None = None
    link: OutlookEvent | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    occurrences: list[Reservation] = field(default_factory=list)  # of a series to send
    done: bool = False  # Graph did it

    def request(self, client: GraphClient, request_id: str) -> BatchRequest:
        if self.action.creates:
            return client.create_event_request(
                request_id,
                self.connection.user_id,
                self.payload,
                self.connection.calendar_id or None,
            )
        assert self.link is not None
        if self.action in (Action.UPDATE, Action.UPDATE_SERIES):
            return client.update_event_request(
                request_id, self.link.mailbox, self.link.event_id, self.payload
            )
        return client.delete_event_request(request_id, self.link.mailbox, self.link.event_id)

    def google_write(self) -> google_push.Write:
        calendar = self.connection.calendar_id or self.connection.user_id
        if self.action.creates:
            return google_push.Write(
                google_push.CREATE, calendar, google_push.new_event_id(self.payload), self.payload
            )
        assert self.link is not None
        kind = google_push.DELETE if self.action is Action.DELETE else google_push.UPDATE
        return google_push.Write(kind, calendar, self.link.event_id, self.payload)


# Slots of one room this far apart are read with two calendar views, not one long one.
ROOM_CHECK_GAP = dt.timedelta(days=7)


def _windows(slots: list[tuple[Op, Reservation]]) -> list[list[tuple[Op, Reservation]]]:
    """The slots grouped by room calendar and, within one, into stretches without a gap of
    ROOM_CHECK_GAP: each stretch is one calendarView."""
    slots = sorted(slots, key=lambda s: (s[0].connection.pk, s[1].start))
    windows: list[list[tuple[Op, Reservation]]] = []
    window_end = None  # of the last window
    for op, reservation in slots:
        if (
            not windows
            or windows[-1][0][0].connection.pk != op.connection.pk
            or reservation.start - window_end > ROOM_CHECK_GAP
        ):
            windows.append([])
            window_end = reservation.end
        windows[-1].append((op, reservation))
        window_end = max(window_end, reservation.end)
    return windows


def _same_occurrence(event: dict[str, Any], reservation: Reservation, zone: str) -> bool:
    """An occurrence of a series at exactly this occurrence's slot, with its title: one of ours
    (an occurrence does not carry its master's transactionId)."""
    if not event.get("seriesMasterId") or event.get("subject") != reservation.title:
        return False
    try:
        return payloads.times_from_graph(event, zone) == (reservation.start, reservation.end)
    except (KeyError, TypeError, ValueError):
        return False


class Pusher:
    def __init__(self, entries: list[OutboxEntry], summary: PushSummary) -> None:
        self.entries = entries
        self.token = entries[0].claim
        self.summary = summary
        self.now = timezone.now()
        self.ops: list[Op] = []
        self.retry: dict[int, OutboxEntry] = {}
        self.deferred: dict[int, dt.datetime] = {}  # entry -> when updates may resume
        self.throttled: dict[int, float] = {}  # entry -> seconds Graph asked to wait
        self.succeeded: set[tuple[int, int]] = set()  # (reservation, connection)
        self.new_links: list[OutlookEvent] = []
        self.changed_links: list[OutlookEvent] = []
        self.removed_links: list[int] = []
        self.follow_up: list[int] = []
        self.surplus: list[tuple[SyncConnection, str, str]] = []  # instances to delete
        self.relinked: list[tuple[int, list[int]]] = []  # (connection, occurrences) linked anew
        self.masters_in_step: set[tuple[int, int]] = set()
        self._load([e.reservation for e in entries])

    def _load(self, reservations: list[Reservation]) -> None:
        resource_ids = {r.resource_id for r in reservations}
        staff_ids = {r.staff_id for r in reservations if r.staff_id}
        connections = list(
            SyncConnection.objects.pushing()
            .filter(Q(resource_id__in=resource_ids) | Q(staff_id__in=staff_ids))
            .select_related("tenant")
        )
        self.by_resource: dict[int, list[SyncConnection]] = defaultdict(list)
        self.by_staff: dict[int, list[SyncConnection]] = defaultdict(list)
        for connection in connections:
            if connection.resource_id:
                self.by_resource[connection.resource_id].append(connection)
            else:
                self.by_staff[connection.staff_id].append(connection)
        self.connected = {c.user_id for c in connections}
        series_ids = {r.series_id for r in reservations if r.series_id}
        self.links: dict[int, list[OutlookEvent]] = defaultdict(list)
        self.masters: dict[tuple[int, int], OutlookEvent] = {}
        for link in OutlookEvent.objects.filter(
            Q(reservation__in=reservations) | Q(series_id__in=series_ids, kind=EventKind.SERIES)
        ).select_related("sync_connection__tenant"):
            if link.kind == EventKind.SERIES:
                self.masters[(link.sync_connection_id, link.series_id)] = link
            else:
                self.links[link.reservation_id].append(link)
        self.creations = {
            (c.sync_connection_id, c.reservation_id): c
            for c in OutlookCreation.objects.filter(reservation__in=reservations)
        }
        self.new_creations: list[OutlookCreation] = []
        self.linked_creations: dict[int, list[int]] = defaultdict(list)  # connection -> ids
        # A reservation waits for a person's decision before it goes to that calendar.
        self.undecided = set(
            OutlookConflict.objects.open()
            .filter(reservation__in=reservations)
            .values_list("reservation_id", "sync_connection_id")
        )
        self.occurrence_counts = dict(
            Reservation.objects.filter(series_id__in=series_ids)
            .values_list("series_id")
            .annotate(n=Count("pk"))
        )

    def run(self) -> None:
        series_ops: dict[tuple[int, int], Op] = {}
        for entry in self.entries:
            self._plan(entry, series_ops)
        self._execute()
        self._store()

    # --- planning ----------------------------------------------------------------------------

    def _plan(self, entry: OutboxEntry, series_ops: dict[tuple[int, int], Op]) -> None:
        reservation = entry.reservation
        if reservation.is_inbound:
            return
        wanted: dict[int, SyncConnection] = {}
        if reservation.status != ReservationStatus.CANCELLED:
            for connection in [
                *self.by_resource[reservation.resource_id],
                *self.by_staff.get(reservation.staff_id, []),
            ]:
                wanted[connection.pk] = connection
        linked = {}
        for link in self.links[reservation.pk]:
            linked[link.sync_connection_id] = link
            # Only calendars Bookbridge writes to: never delete from one synced inbound.
            if link.sync_connection_id not in wanted and link.sync_connection.is_pushing:
                self.ops.append(
                    Op(Action.DELETE, link.sync_connection, [entry], reservation, link=link)
                )
        for connection in wanted.values():
            if (reservation.pk, connection.pk) in self.undecided:
                continue
            link = linked.get(connection.pk)
            key = (connection.pk, reservation.series_id)
            if key in self.masters and self._plan_series_update(entry, connection, key, series_ops):
                continue
            if link is not None:
                self._plan_update(entry, connection, link)
            elif reservation.series_id and key not in self.masters:
                self._plan_series(entry, connection, key, series_ops)
            else:
                payload = providers.for_tenant(connection.tenant).event(
                    reservation, connection, self.connected
                )
                payload["transactionId"] = str(self._creation(connection, reservation))
                self.ops.append(
                    Op(Action.CREATE, connection, [entry], reservation, payload=payload)
                )

    def _creation(self, connection: SyncConnection, reservation: Reservation) -> Any:
        """The transactionId of this create: the last one again while its event is not
        linked (a retry, which Graph answers with the event it made), the next generation's
        once it was (that event is gone: a new one is wanted)."""
        last = self.creations.get((connection.pk, reservation.pk))
        generation = 0 if last is None else last.generation + last.linked
        creation = OutlookCreation(
            sync_connection=connection,
            reservation=reservation,
            generation=generation,
            transaction_id=OutlookCreation.transaction_id_for(reservation.uuid, generation),
        )
        self.new_creations.append(creation)
        return creation.transaction_id

    def _plan_series(
        self,
        entry: OutboxEntry,
        connection: SyncConnection,
        key: tuple[int, int],
        series_ops: dict[tuple[int, int], Op],
    ) -> None:
        series = entry.reservation.series
        count = self.occurrence_counts.get(series.pk, 0)
        if series_rules.waiting(series):
            return
        if key not in series_ops and self._undecided_series(series, connection):
            return
        if key in series_ops:
            series_ops[key].entries.append(entry)
            return
        series_ops[key] = op = Op(Action.CREATE_SERIES, connection, [entry], series=series)
        problem = series_rules.refusal(series, connection.tenant, count)
        if problem:
            record(
                operation=Operation.CREATE,
                stage="check occurrences",
                connection=connection,
                reservation=entry.reservation,
                message=f"{problem} Nothing was sent to Outlook.",
            )
            self.summary.failed += 1
            return
        self.ops.append(op)

    def _plan_series_update(
        self,
        entry: OutboxEntry,
        connection: SyncConnection,
        key: tuple[int, int],
        series_ops: dict[tuple[int, int], Op],
    ) -> bool:
        """The series as a whole changed (its pattern, times or title, or it ends sooner since
        a split): its recurring event is updated, then its instances linked anew; the entry
        goes with that. False when the recurring event is in step."""
        if key in series_ops:
            series_ops[key].entries.append(entry)
            return True
        if key in self.masters_in_step:
            return False
        master = self.masters[key]
        op = Op(Action.UPDATE_SERIES, connection, [entry], series=entry.reservation.series)
        op.link = master
        op.occurrences = self._occurrences_for(op)
        if op.occurrences:
            desired = series_rules.recurring_event(
                op.series, op.occurrences, connection, self.connected
            )
            op.payload = series_rules.reshaped(desired, master)
        if not op.payload:
            self.masters_in_step.add(key)
            return False
        series_ops[key] = op
        self.ops.append(op)
        return True

    @staticmethod
    def _undecided_series(series: ReservationSeries, connection: SyncConnection) -> bool:
        """An occurrence waits for a decision on a conflict: the series waits with it."""
        return (
            OutlookConflict.objects.open()
            .filter(reservation__series=series, sync_connection=connection)
            .exists()
        )

    def _plan_update(
        self, entry: OutboxEntry, connection: SyncConnection, link: OutlookEvent
    ) -> None:
        desired = providers.for_tenant(connection.tenant).event(
            entry.reservation, connection, self.connected
        )
        changed = payloads.changes(desired, link.pushed)
        if not changed:
            return
        if link.update_window_start is None or link.update_window_start < self.now - UPDATE_WINDOW:
            link.update_window_start, link.update_count = self.now, 0
        if link.update_count >= connection.tenant.max_updates:
            self._hold_updates(entry, connection, link)
            return
        self.ops.append(
            Op(Action.UPDATE, connection, [entry], entry.reservation, link=link, payload=changed)
        )

    def _hold_updates(
        self, entry: OutboxEntry, connection: SyncConnection, link: OutlookEvent
    ) -> None:
        """The loop guard: no more updates this window; the latest state goes out after it."""
        resumes = link.update_window_start + UPDATE_WINDOW
        self.deferred[entry.pk] = resumes
        self.summary.deferred += 1
        if link.updates_stopped_at and link.updates_stopped_at >= link.update_window_start:
            return  # said already: the guard stops a flood, it does not make one
        link.updates_stopped_at = self.now
        self.changed_links.append(link)
        tenant = connection.tenant
        record(
            operation=Operation.UPDATE,
            stage="loop guard",
            connection=connection,
            reservation=entry.reservation,
            message=f"Stopped pushing updates of this reservation to Outlook: it was updated "
            f"{link.update_count} times within 24 hours, the limit of {tenant} (max updates "
            f"{tenant.max_updates}), which suggests an update loop. Its latest state is sent "
            f"after {timezone.localtime(resumes):%Y-%m-%d %H:%M}.",
        )

    # --- sending -----------------------------------------------------------------------------

    def _execute(self) -> None:
        self._record_creations()
        by_tenant: dict[int, list[Op]] = defaultdict(list)
        for op in self.ops:
            if op.action is Action.CREATE_SERIES:
                self._prepare_series(op)
            by_tenant[op.connection.tenant_id].append(op)
        for ops in by_tenant.values():
            tenant = ops[0].connection.tenant
            try:
                client: GraphClient | GoogleClient = (
                    GoogleClient.for_tenant(tenant)
                    if tenant.is_google
                    else GraphClient.for_tenant(tenant)
                )
            except ValueError as exc:  # a Google tenant's key file is none
                for op in ops:
                    self._failed(op, GoogleError(str(exc), permanent=True))
                continue
            ops = self._clear_of_outlook(client, ops)
            for op, result in zip(ops, self._write(client, ops), strict=True):
                self._apply(op, result)
            self._link_occurrences(
                client,
                [op for op in ops if op.action in (Action.CREATE_SERIES, Action.UPDATE_SERIES)],
            )
            self._delete_surplus(client)

    def _write(self, client: GraphClient | GoogleClient, ops: list[Op]) -> list[BatchResult]:
        """The ops' creates, updates and deletes, in the provider's batches."""
        if isinstance(client, GoogleClient):
            return google_push.send(client, [op.google_write() for op in ops])
        return self._send(client, [op.request(client, str(i)) for i, op in enumerate(ops)])

    @staticmethod
    def _books_room(op: Op) -> bool:
        """A new or moved event in a room calendar: the room must be free in Outlook first."""
        if not op.connection.resource_id:
            return False
        if op.action is Action.CREATE_SERIES:
            return bool(Pusher._slots(op))
        if op.action is Action.UPDATE_SERIES:
            moves = {"start", "end", "recurrence"} & set(op.payload)
            return bool(moves and Pusher._slots(op))
        return op.reservation is not None and (
            op.action is Action.CREATE
            or (op.action is Action.UPDATE and ("start" in op.payload or "end" in op.payload))
        )

    @staticmethod
    def _slots(op: Op) -> list[Reservation]:
        """The reservations whose slots must be free: a series' occurrences but those
        cancelled (their instances are removed once the series is made)."""
        if op.action in (Action.CREATE_SERIES, Action.UPDATE_SERIES):
            return [r for r in op.occurrences if r.status != ReservationStatus.CANCELLED]
        return [op.reservation]

    def _clear_of_outlook(self, client: GraphClient | GoogleClient, ops: list[Op]) -> list[Op]:
        """Ask the room calendars what they hold in the slots of the events about to be made
        or moved there, and hold back those an Outlook meeting that Bookbridge does not know
        is in the way of: a conflict for a person to decide. One calendarView per room and
        stretch of days (ROOM_CHECK_GAP), all in the $batch calls before the writes."""
        checked = [op for op in ops if self._books_room(op)]
        if not checked:
            return ops
        windows = _windows([(op, r) for op in checked for r in self._slots(op)])
        views = self._room_views(client, windows)
        seen = {
            e.get(name)
            for view in views
            if isinstance(view, list)
            for e in view
            for name in ("id", "seriesMasterId", "recurringEventId")
            if e.get(name)
        }
        known = set(
            OutlookEvent.objects.filter(
                sync_connection__in={op.connection.pk for op in checked}, event_id__in=seen
            ).values_list("sync_connection_id", "event_id")
        )
        held_back: dict[int, Op] = {}
        for slots, view in zip(windows, views, strict=True):
            for op, reservation in slots:
                if not isinstance(view, list):
                    if id(op) not in held_back:
                        self._failed(op, view)
                    held_back[id(op)] = op
                    continue
                blocking = self._in_the_way(op, reservation, view, known)
                if blocking is not None:
                    room_conflicts.found(reservation, op.connection, blocking, ConflictOrigin.PUSH)
                    self.summary.conflicts += 1
                    held_back[id(op)] = op
        return [op for op in ops if id(op) not in held_back]

    def _room_views(
        self, client: GraphClient | GoogleClient, windows: list[list[tuple[Op, Reservation]]]
    ) -> list[list[dict[str, Any]] | TransportError]:
        """What each window's room calendar holds in it: one read each, in batches."""
        spans = [
            (slots[0][0].connection, slots[0][1].start, max(r.end for _, r in slots))
            for slots in windows
        ]
        if isinstance(client, GoogleClient):
            return list(
                client.events_in(
                    [(c.calendar_id or c.user_id, start, end) for c, start, end in spans]
                )
            )
        requests = [
            client.calendar_view_request(str(i), c.user_id, start, end, c.calendar_id or None)
            for i, (c, start, end) in enumerate(spans)
        ]
        views: list[list[dict[str, Any]] | TransportError] = []
        for result in self._send(client, requests):
            try:
                views.append(
                    client.all_pages(first=result.body)
                    if result.ok
                    else result.error or GraphError("The room was not read", status=0)
                )
            except GraphError as exc:
                views.append(exc)
        return views

    @staticmethod
    def _in_the_way(
        op: Op, reservation: Reservation, events: list[dict[str, Any]], known: set[tuple[int, str]]
    ) -> dict[str, Any] | None:
        ours = {str(reservation.uuid), str(op.payload.get("transactionId", ""))}
        zone = reservation.resource.location.time_zone
        google = op.connection.tenant.is_google
        for event in events:
            if (op.connection.pk, event.get("id")) in known:
                continue  # Bookbridge's own events: its reservations hold those slots
            made_for = (
                # an instance of a series of ours is named after its recurring event
                google_events.transaction_id(
                    str(event.get("recurringEventId") or event.get("id") or "")
                )
                if google
                else event.get("transactionId")
            )
            if made_for in ours:
                continue  # made by an earlier try of this very push
            master = event.get("recurringEventId" if google else "seriesMasterId")
            if (op.connection.pk, master) in known:
                continue  # an instance of one of its own series, as it stands until redrawn
            if op.action is Action.CREATE_SERIES and _same_occurrence(event, reservation, zone):
                continue  # a retried series create: Graph answers with the series made before
            blocks = google_events.in_the_way if google else room_conflicts.in_the_way
            if blocks(event, reservation.start, reservation.end, zone):
                return event
        return None

    def _record_creations(self) -> None:
        """Saved before the calls: a create that is not answered is retried with the same
        transactionId, whatever happens to this worker."""
        if self.new_creations:
            OutlookCreation.objects.bulk_create(
                sorted(self.new_creations, key=lambda c: (c.sync_connection_id, c.reservation_id)),
                update_conflicts=True,
                unique_fields=["sync_connection", "reservation"],
                update_fields=["generation", "transaction_id", "linked"],
            )

    @staticmethod
    def _send(client: GraphClient, requests: list[BatchRequest]) -> list[BatchResult]:
        try:
            return client.batch(requests)
        except GraphError as exc:
            return [BatchResult(str(i), exc.status or 0, None, exc) for i in range(len(requests))]

    @staticmethod
    def _occurrences_for(op: Op) -> list[Reservation]:
        everything = list(
            op.series.occurrences.select_related("resource__location", "staff", "series").order_by(
                "start"
            )
        )
        return series_rules.for_connection(everything, op.connection)

    def _prepare_series(self, op: Op) -> None:
        op.occurrences = self._occurrences_for(op)
        op.payload = series_rules.recurring_event(
            op.series, op.occurrences, op.connection, self.connected
        )
        op.payload["transactionId"] = str(op.series.uuid)

    def _apply(self, op: Op, result: BatchResult) -> None:
        error = result.error
        if error is not None and not (op.action is Action.DELETE and result.status == 404):
            self._failed(op, error)
            return
        op.done = True
        body = result.body if isinstance(result.body, dict) else {}
        sent = {k: v for k, v in op.payload.items() if k != "transactionId"}
        provider = providers.for_tenant(op.connection.tenant)
        if op.action.creates:
            event_id, ical_uid, change_key = provider.link_fields(body)
            link = OutlookEvent(
                sync_connection=op.connection,
                mailbox=op.connection.user_id,
                event_id=event_id,
                ical_uid=ical_uid,
                change_key=change_key,
                # An earlier event returned for a repeated transactionId is made right next.
                pushed=sent if provider.holds(body, op.payload) else {},
            )
            if op.action is Action.CREATE:
                link.reservation = op.reservation
                link.kind = EventKind.OCCURRENCE if op.reservation.series_id else EventKind.SINGLE
                self.linked_creations[op.connection.pk].append(op.reservation.pk)
                if not link.pushed:
                    self.follow_up.append(op.reservation.pk)
            else:
                link.series, link.kind = op.series, EventKind.SERIES
            op.link = link
            self.new_links.append(link)
            self.summary.created += 1
        elif op.action in (Action.UPDATE, Action.UPDATE_SERIES):
            op.link.pushed = {**op.link.pushed, **op.payload}
            op.link.change_key = (
                provider.link_fields(body)[2] if body.get("id") else ""
            ) or op.link.change_key
            op.link.update_count += 1
            self.changed_links.append(op.link)
            self.summary.updated += 1
        else:
            self.removed_links.append(op.link.pk)
            self.summary.deleted += 1
        self.succeeded.update((e.reservation_id, op.connection.pk) for e in op.entries)

    def _failed(self, op: Op, error: TransportError) -> None:
        if error.retry_after is not None and not error.permanent:
            # Graph said when to come back (Retry-After): not a failure, and not a moment
            # sooner, whatever changes the reservation meanwhile.
            for entry in op.entries:
                self.throttled[entry.pk] = max(self.throttled.get(entry.pk, 0), error.retry_after)
            self.summary.throttled += 1
            return
        attempts = min(e.attempts for e in op.entries) + 1
        if not error.permanent and attempts < MAX_ATTEMPTS:
            for entry in op.entries:
                self.retry[entry.pk] = entry
            self.summary.retrying += 1
            logger.info(
                "outbound %s for reservation %s will be retried: %s",
                op.action.stage,
                op.entries[0].reservation_id,
                error,
            )
            return
        record(
            operation=op.action.operation,
            stage=op.action.stage,
            connection=op.connection,
            reservation=op.entries[0].reservation,
            error=error,
            message=error.message
            if error.permanent
            else f"{error.message} (gave up after {MAX_ATTEMPTS} attempts)",
        )
        self.summary.failed += 1

    def _link_occurrences(self, client: GraphClient | GoogleClient, created: list[Op]) -> None:
        """Pair the occurrences with the instances of a recurring event just made or redrawn
        (a redrawn series has lost its exceptions: they are sent again as follow-ups)."""
        created = [op for op in created if op.done and op.link is not None]
        if not created:
            return
        for op, instances in zip(created, self._instances(client, created), strict=True):
            if instances is None:
                # The series exists; its occurrences go out one by one instead.
                self.follow_up += [o.pk for o in op.occurrences]
                continue
            mapping = series_rules.map_instances(
                op.link, op.occurrences, instances, op.connection, self.connected
            )
            if op.action is Action.UPDATE_SERIES:
                self.relinked.append((op.connection.pk, [o.pk for o in op.occurrences]))
            self.new_links += mapping.links
            self.follow_up += mapping.follow_up
            self.surplus += [(op.connection, op.link.mailbox, i) for i in mapping.surplus]

    def _instances(
        self, client: GraphClient | GoogleClient, ops: list[Op]
    ) -> list[list[dict[str, Any]] | None]:
        """Each series' instances over its occurrences' days; None where they were not read."""
        spans = [
            (
                op,
                op.occurrences[0].start - dt.timedelta(days=1),
                op.occurrences[-1].end + dt.timedelta(days=1),
            )
            for op in ops
            if op.link is not None
        ]
        if isinstance(client, GoogleClient):
            read = client.instances_in(
                [
                    (op.connection.calendar_id or op.link.mailbox, op.link.event_id, start, end)
                    for op, start, end in spans
                    if op.link is not None
                ]
            )
            return [None if isinstance(found, GoogleError) else found for found in read]
        requests = [
            client.instances_request(str(i), op.link.mailbox, op.link.event_id, start, end)
            for i, (op, start, end) in enumerate(spans)
            if op.link is not None
        ]
        found: list[list[dict[str, Any]] | None] = []
        for result in self._send(client, requests):
            try:
                found.append(client.all_pages(first=result.body) if result.ok else None)
            except GraphError:
                found.append(None)
        return found

    def _delete_surplus(self, client: GraphClient | GoogleClient) -> None:
        """Instances of a new series that no occurrence stands for (deleted before it went
        out): cancel them in their calendar."""
        if not self.surplus:
            return
        if isinstance(client, GoogleClient):
            results = google_push.send(
                client,
                [
                    google_push.Write(
                        google_push.DELETE, connection.calendar_id or mailbox, event_id, {}
                    )
                    for connection, mailbox, event_id in self.surplus
                ],
            )
        else:
            results = self._send(
                client,
                [
                    client.delete_event_request(str(i), mailbox, event_id)
                    for i, (_, mailbox, event_id) in enumerate(self.surplus)
                ],
            )
        for (connection, _, event_id), result in zip(self.surplus, results, strict=True):
            if not result.ok and result.status != 404:
                record(
                    operation=Operation.DELETE,
                    stage="delete surplus occurrence",
                    connection=connection,
                    error=result.error,
                    message=f"{result.error.message} (instance {event_id})",
                )
        self.surplus = []

    # --- recording -----------------------------------------------------------------------------

    def _store(self) -> None:
        with transaction.atomic():
            lock_calendars(
                [link.sync_connection_id for link in self.new_links]
                + [c for _, c in self.succeeded]
            )
            self._store_links()
            self._resolve_errors()
            self._mark_synced()
            self._settle_entries()
        OutboxEntry.objects.add(self.follow_up)  # this worker goes on with them

    def _store_links(self) -> None:
        reservation_ids = {link.reservation_id for link in self.new_links if link.reservation_id}
        existing = set(
            Reservation.objects.filter(pk__in=reservation_ids).values_list("pk", flat=True)
        )
        for link in self.new_links:
            if link.reservation_id and link.reservation_id not in existing:
                link.reservation = None  # deleted meanwhile: an orphan, deleted next run
        for connection_id, occurrence_ids in self.relinked:
            OutlookEvent.objects.filter(
                sync_connection_id=connection_id,
                reservation_id__in=occurrence_ids,
                kind=EventKind.OCCURRENCE,
            ).delete()
        if self.new_links:
            # A link already there was adopted by Sync Down, which may read our new event
            # before Graph has answered us: that is the same event, and success. Its
            # changeKey, read later than Graph's answer, is kept.
            OutlookEvent.objects.bulk_create(
                sorted(self.new_links, key=link_order),
                update_conflicts=True,
                unique_fields=["sync_connection", "event_id"],
                update_fields=["pushed", "ical_uid", "kind", "updated_at"],
            )
        for connection_id, reservation_ids in self.linked_creations.items():
            OutlookCreation.objects.filter(
                sync_connection_id=connection_id, reservation_id__in=reservation_ids
            ).update(linked=True)
        if self.changed_links:
            OutlookEvent.objects.bulk_update(
                self.changed_links,
                [
                    "pushed",
                    "change_key",
                    "update_window_start",
                    "update_count",
                    "updates_stopped_at",
                    "updated_at",
                ],
            )
        if self.removed_links:
            OutlookEvent.objects.filter(pk__in=self.removed_links).delete()

    def _resolve_errors(self) -> None:
        """Errors of an operation that has now succeeded, for that reservation and calendar."""
        if not self.succeeded:
            return
        candidates = SyncError.objects.filter(
            reservation_id__in={r for r, _ in self.succeeded},
            resolved=False,
            operation__in=PUSHED_OPERATIONS,
            created_at__lt=self.now,
        ).values_list("pk", "reservation_id", "sync_connection_id")
        solved = [pk for pk, r, c in candidates if (r, c) in self.succeeded]
        SyncError.objects.filter(pk__in=solved).update(resolved=True, resolved_at=self.now)

    def _mark_synced(self) -> None:
        """A connection Bookbridge pushed to counts as syncing from its first success."""
        connection_ids = {c for _, c in self.succeeded}
        if connection_ids:
            SyncConnection.objects.filter(pk__in=connection_ids).update(last_synced_at=self.now)

    def _settle_entries(self) -> None:
        mine = OutboxEntry.objects.filter(claim=self.token)
        for entry in self.retry.values():
            work_queue.retry_later(entry)
        for pk, resumes in self.deferred.items():
            work_queue.release(mine.filter(pk=pk), not_before=resumes)
        for pk, seconds in self.throttled.items():
            work_queue.throttle(mine.filter(pk=pk), seconds)
        settled = {*self.retry, *self.deferred, *self.throttled}
        work_queue.settle(mine.filter(pk__in=[e.pk for e in self.entries if e.pk not in settled]))

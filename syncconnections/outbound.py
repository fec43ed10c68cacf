"""Outbound sync: keep each reservation's Outlook events in step with the reservation.

A change to a reservation puts it in the outbox (OutboxEntry) in the same transaction and
wakes the worker. The worker claims outbox entries a hundred at a time, works out for each
what its events should be (create, update only the fields that changed, delete), sends all
of it through Graph's $batch, and records what it did. It always reads the reservation as it
is now, so late or repeated runs do the right thing.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

import errors
from bookings.models import Reservation, ReservationSeries, ReservationStatus
from errors.models import Operation, SyncError
from syncconnections import payloads
from syncconnections.graph import BatchRequest, BatchResult, GraphClient, GraphError
from syncconnections.models import (
    EventKind,
    OutboxEntry,
    OutlookEvent,
    SyncConnection,
    SyncMode,
    Tenant,
    WakeUp,
)

logger = logging.getLogger(__name__)

WORKER = "outbound"
CLAIM_SIZE = 100
STALE_CLAIM = dt.timedelta(minutes=10)  # a claim older than this belonged to a dead worker
MAX_ATTEMPTS = 8
UPDATE_WINDOW = dt.timedelta(hours=24)
OUTBOUND_MODES = (SyncMode.BIDIRECTIONAL, SyncMode.OUTBOUND)


def pushing_connections() -> QuerySet[SyncConnection]:
    """Connections whose calendars Bookbridge writes to."""
    return SyncConnection.objects.filter(
        active=True, valid=True, tenant__sync_mode__in=OUTBOUND_MODES
    )


# --- queueing (inside the transaction of the change) ---------------------------------------


def wants_push(reservation: Reservation) -> bool:
    """Whether a change to this reservation concerns any Outlook calendar."""
    if reservation.is_inbound:
        return False
    targets = Q(resource_id=reservation.resource_id)
    if reservation.staff_id:
        targets |= Q(staff_id=reservation.staff_id)
    return (
        pushing_connections().filter(targets).exists()
        or OutlookEvent.objects.filter(reservation=reservation).exists()
    )


def queue(reservation_ids: Collection[int], *, wake_worker: bool = True) -> None:
    """Put reservations in the outbox. An entry being worked on is released, so that it is
    worked on again with the state that caused this call."""
    if not reservation_ids:
        return
    OutboxEntry.objects.filter(reservation_id__in=reservation_ids).update(
        claimed_at=None, claim=None, attempts=0, not_before=None
    )
    OutboxEntry.objects.bulk_create(
        [OutboxEntry(reservation_id=pk) for pk in reservation_ids], ignore_conflicts=True
    )
    if wake_worker:
        wake()


def forget_reservation(reservation: Reservation) -> None:
    """The reservation is being deleted: its events become orphans, which the worker deletes."""
    if OutlookEvent.objects.filter(reservation=reservation).update(reservation=None):
        wake()


def wake() -> None:
    """Enqueue the worker, unless it is already waiting to run."""
    raised = WakeUp.objects.filter(name=WORKER, raised=False).update(raised=True)
    if not raised:
        _, created = WakeUp.objects.get_or_create(name=WORKER, defaults={"raised": True})
        raised = created
    if raised:
        async_task("syncconnections.tasks.push_outbound", task_name="push to Outlook")


def queue_future_reservations(connections: Iterable[SyncConnection]) -> int:
    """Queue what newly active connections should show: their future reservations."""
    resources = {c.resource_id for c in connections if c.resource_id}
    staff = {c.staff_id for c in connections if c.staff_id}
    if not resources and not staff:
        return 0
    ids = list(
        Reservation.objects.filter(Q(resource_id__in=resources) | Q(staff_id__in=staff))
        .filter(end__gte=timezone.now(), direction="outbound")
        .exclude(status=ReservationStatus.CANCELLED)
        .values_list("pk", flat=True)
    )
    queue(ids)
    return len(ids)


# --- the worker ---------------------------------------------------------------------------


@dataclass
class PushSummary:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    retrying: int = 0

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def push_outbound() -> dict[str, int]:
    """Work off the outbox and the orphaned events. Safe to run at any time, twice."""
    WakeUp.objects.filter(name=WORKER).update(raised=False)
    summary = PushSummary()
    OrphanRemover(summary).run()
    while entries := claim():
        Pusher(entries, summary).run()
    return summary.as_dict()


def claim(limit: int = CLAIM_SIZE) -> list[OutboxEntry]:
    now = timezone.now()
    ready = (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)) & (
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    candidates = list(
        OutboxEntry.objects.filter(ready).order_by("queued_at").values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return []
    token = uuid.uuid4()
    # Conditional: an entry another worker claimed meanwhile no longer matches `ready`.
    OutboxEntry.objects.filter(ready, pk__in=candidates).update(claimed_at=now, claim=token)
    return list(
        OutboxEntry.objects.filter(claim=token).select_related(
            "reservation__resource__location", "reservation__staff", "reservation__series"
        )
    )


@dataclass
class Op:
    action: str  # "create", "create_series", "update", "delete"
    connection: SyncConnection
    entries: list[OutboxEntry]
    reservation: Reservation | None = None
    series: ReservationSeries | None = None
    link: OutlookEvent | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    occurrences: list[Reservation] = field(default_factory=list)  # of a series to create

    OPERATIONS = {
        "create": Operation.CREATE,
        "create_series": Operation.CREATE,
        "update": Operation.UPDATE,
        "delete": Operation.DELETE,
    }
    STAGES = {
        "create": "create event",
        "create_series": "create series",
        "update": "update event",
        "delete": "delete event",
    }

    def request(self, client: GraphClient, request_id: str) -> BatchRequest:
        mailbox, calendar = self.connection.user_id, self.connection.calendar_id or None
        if self.action in ("create", "create_series"):
            return client.create_event_request(request_id, mailbox, self.payload, calendar)
        assert self.link is not None
        if self.action == "update":
            return client.update_event_request(
                request_id, mailbox, self.link.event_id, self.payload
            )
        return client.delete_event_request(request_id, mailbox, self.link.event_id)


class Pusher:
    """Brings the events of one claimed batch of outbox entries up to date."""

    def __init__(self, entries: list[OutboxEntry], summary: PushSummary) -> None:
        self.entries = entries
        self.summary = summary
        self.now = timezone.now()
        self.ops: list[Op] = []
        self.retry: dict[int, OutboxEntry] = {}
        self.succeeded: set[int] = set()
        self.new_links: list[OutlookEvent] = []
        self.changed_links: list[OutlookEvent] = []
        self.removed_links: list[int] = []
        self.follow_up: list[int] = []  # reservations to queue again once this batch is stored
        reservations = [e.reservation for e in entries]
        self._load(reservations)

    def _load(self, reservations: list[Reservation]) -> None:
        resource_ids = {r.resource_id for r in reservations}
        staff_ids = {r.staff_id for r in reservations if r.staff_id}
        connections = list(
            pushing_connections()
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
        self.occurrence_counts = dict(
            Reservation.objects.filter(series_id__in=series_ids)
            .values_list("series_id")
            .annotate(n=Count("pk"))
        )

    # --- planning ----------------------------------------------------------------------------

    def run(self) -> None:
        series_ops: dict[tuple[int, int], Op] = {}
        for entry in self.entries:
            self._plan(entry, series_ops)
        self._execute()
        self._store()

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
        for link in self.links[reservation.pk]:
            connection = link.sync_connection
            if connection.pk not in wanted and connection.active and connection.valid:
                self.ops.append(Op("delete", connection, [entry], reservation, link=link))
        linked = {link.sync_connection_id: link for link in self.links[reservation.pk]}
        for connection in wanted.values():
            link = linked.get(connection.pk)
            key = (connection.pk, reservation.series_id)
            if link is not None:
                self._plan_update(entry, connection, link)
            elif reservation.series_id and key not in self.masters:
                if not reservation.series.occurrences_complete:
                    continue  # the series goes out whole, once all occurrences exist
                if key in series_ops:
                    series_ops[key].entries.append(entry)
                else:
                    series_ops[key] = op = Op(
                        "create_series", connection, [entry], series=reservation.series
                    )
                    if self._series_allowed(op):
                        self.ops.append(op)
            else:
                payload = payloads.reservation_event(reservation, connection, self.connected)
                payload["transactionId"] = str(reservation.uuid)
                self.ops.append(Op("create", connection, [entry], reservation, payload=payload))

    def _plan_update(
        self, entry: OutboxEntry, connection: SyncConnection, link: OutlookEvent
    ) -> None:
        desired = payloads.reservation_event(entry.reservation, connection, self.connected)
        changed = payloads.changes(desired, link.pushed)
        if not changed:
            return
        if link.update_window_start is None or link.update_window_start < self.now - UPDATE_WINDOW:
            link.update_window_start, link.update_count = self.now, 0
        if link.update_count >= connection.tenant.max_updates:
            self._stop_updates(entry, connection, link)
            return
        self.ops.append(
            Op("update", connection, [entry], entry.reservation, link=link, payload=changed)
        )

    def _stop_updates(
        self, entry: OutboxEntry, connection: SyncConnection, link: OutlookEvent
    ) -> None:
        # Record it once per window: the guard exists to stop a flood, not to make one.
        if link.updates_stopped_at and link.updates_stopped_at >= link.update_window_start:
            return
        link.updates_stopped_at = self.now
        self.changed_links.append(link)
        resumes = link.update_window_start + UPDATE_WINDOW
        errors.record(
            operation=Operation.UPDATE,
            stage="loop guard",
            connection=connection,
            reservation=entry.reservation,
            message=f"Stopped pushing updates of this reservation to Outlook: it was updated "
            f"{link.update_count} times within 24 hours, the limit of {connection.tenant} "
            f"(max updates {connection.tenant.max_updates}), which suggests an update loop. "
            f"Updates resume after {timezone.localtime(resumes):%Y-%m-%d %H:%M}.",
        )
        self.summary.failed += 1

    def _series_allowed(self, op: Op) -> bool:
        series, tenant = op.series, op.connection.tenant
        count = self.occurrence_counts.get(series.pk, 0)
        recurrence = series.recurrence or {}
        problem = ""
        if not recurrence.get("pattern") or not recurrence.get("range"):
            problem = f"The series “{series}” has no recurrence pattern to send."
        elif recurrence["range"].get("type") == "noEnd":
            problem = (
                f"The series “{series}” has no end; {tenant} syncs at most "
                f"{tenant.max_occurrences} occurrences (max occurrences)."
            )
        elif count > tenant.max_occurrences:
            problem = (
                f"The series “{series}” has {count} occurrences; {tenant} syncs at most "
                f"{tenant.max_occurrences} (max occurrences)."
            )
        if problem:
            errors.record(
                operation=Operation.CREATE,
                stage="check occurrences",
                connection=op.connection,
                reservation=op.entries[0].reservation,
                message=f"{problem} Nothing was sent to Outlook.",
            )
            self.summary.failed += 1
        return not problem

    # --- sending -----------------------------------------------------------------------------

    def _execute(self) -> None:
        by_tenant: dict[int, list[Op]] = defaultdict(list)
        for op in self.ops:
            if op.action == "create_series":
                self._prepare_series(op)
            by_tenant[op.connection.tenant_id].append(op)
        for ops in by_tenant.values():
            tenant = ops[0].connection.tenant
            client = GraphClient.for_tenant(tenant)
            try:
                results = client.batch([op.request(client, str(i)) for i, op in enumerate(ops)])
            except GraphError as exc:
                results = [BatchResult(str(i), exc.status or 0, None, exc) for i in range(len(ops))]
            for op, result in zip(ops, results, strict=True):
                self._apply(op, result, tenant)
            self._map_occurrences(client, [op for op in ops if op.action == "create_series"])

    def _prepare_series(self, op: Op) -> None:
        op.occurrences = list(
            op.series.occurrences.select_related("resource__location", "staff", "series").order_by(
                "start"
            )
        )
        op.payload = payloads.series_event(
            op.series, op.occurrences[0], op.connection, self.connected
        )
        op.payload["transactionId"] = str(op.series.uuid)

    def _apply(self, op: Op, result: BatchResult, tenant: Tenant) -> None:
        error = result.error
        if error is not None and not (op.action == "delete" and result.status == 404):
            self._failed(op, error)
            return
        body = result.body if isinstance(result.body, dict) else {}
        pushed = {k: v for k, v in op.payload.items() if k != "transactionId"}
        if op.action == "create":
            self.new_links.append(
                OutlookEvent(
                    sync_connection=op.connection,
                    reservation=op.reservation,
                    kind=EventKind.OCCURRENCE if op.reservation.series_id else EventKind.SINGLE,
                    event_id=body["id"],
                    ical_uid=body.get("iCalUId", ""),
                    change_key=body.get("changeKey", ""),
                    pushed=pushed,
                )
            )
            self.summary.created += 1
        elif op.action == "create_series":
            op.link = OutlookEvent(
                sync_connection=op.connection,
                series=op.series,
                kind=EventKind.SERIES,
                event_id=body["id"],
                ical_uid=body.get("iCalUId", ""),
                change_key=body.get("changeKey", ""),
                pushed=pushed,
            )
            self.new_links.append(op.link)
            self.summary.created += 1
        elif op.action == "update":
            op.link.pushed = {**op.link.pushed, **op.payload}
            op.link.change_key = body.get("changeKey", op.link.change_key)
            op.link.update_count += 1
            self.changed_links.append(op.link)
            self.summary.updated += 1
        else:
            self.removed_links.append(op.link.pk)
            self.summary.deleted += 1
        self.succeeded.update(e.reservation_id for e in op.entries)

    def _failed(self, op: Op, error: GraphError) -> None:
        retry = not error.permanent and min(e.attempts for e in op.entries) + 1 < MAX_ATTEMPTS
        if retry:
            for entry in op.entries:
                self.retry[entry.pk] = entry
            self.summary.retrying += 1
            logger.info(
                "outbound %s for %s will be retried: %s",
                op.action,
                op.entries[0].reservation_id,
                error,
            )
            return
        errors.record(
            operation=Op.OPERATIONS[op.action],
            stage=Op.STAGES[op.action],
            connection=op.connection,
            reservation=op.entries[0].reservation,
            status_code=error.status,
            request_id=error.request_id,
            message=error.message
            if error.permanent
            else f"{error.message} (gave up after {MAX_ATTEMPTS} attempts)",
        )
        self.summary.failed += 1

    def _map_occurrences(self, client: GraphClient, created: list[Op]) -> None:
        """Link each occurrence of a newly created series to its Outlook instance, and queue
        the occurrences that differ from the series (moved, renamed, cancelled)."""
        created = [op for op in created if op.link is not None]
        if not created:
            return
        requests = [
            client.instances_request(
                str(index),
                op.connection.user_id,
                op.link.event_id,
                op.occurrences[0].start - dt.timedelta(days=1),
                op.occurrences[-1].end + dt.timedelta(days=1),
            )
            for index, op in enumerate(created)
        ]
        try:
            results = client.batch(requests)
        except GraphError as exc:
            results = [BatchResult(str(i), 0, None, exc) for i in range(len(requests))]
        for op, result in zip(created, results, strict=True):
            instances = sorted(
                (result.body or {}).get("value", []) if result.ok else [],
                key=lambda event: event["start"]["dateTime"],
            )
            if len(instances) != len(op.occurrences):
                logger.warning(
                    "series %s: %d instances for %d occurrences; pushing them one by one",
                    op.series.pk,
                    len(instances),
                    len(op.occurrences),
                )
                self.follow_up.extend(o.pk for o in op.occurrences)
                continue
            for occurrence, instance in zip(op.occurrences, instances, strict=True):
                desired = payloads.reservation_event(occurrence, op.connection, self.connected)
                as_in_series = (
                    instance["start"]["dateTime"][:16] == payloads.utc_minute(occurrence.start)
                    and instance["end"]["dateTime"][:16] == payloads.utc_minute(occurrence.end)
                    and occurrence.title == op.series.title
                )
                self.new_links.append(
                    OutlookEvent(
                        sync_connection=op.connection,
                        reservation=occurrence,
                        kind=EventKind.OCCURRENCE,
                        event_id=instance["id"],
                        change_key=instance.get("changeKey", ""),
                        pushed=desired if as_in_series else {},
                    )
                )
                if not as_in_series or occurrence.status == ReservationStatus.CANCELLED:
                    self.follow_up.append(occurrence.pk)

    # --- recording -----------------------------------------------------------------------------

    def _store(self) -> None:
        if self.new_links:
            OutlookEvent.objects.bulk_create(self.new_links)
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
        if self.succeeded:
            SyncError.objects.filter(
                reservation_id__in=self.succeeded,
                resolved=False,
                operation__in=[Operation.CREATE, Operation.UPDATE, Operation.DELETE],
            ).update(resolved=True, resolved_at=self.now)
        for entry in self.retry.values():
            entry.attempts += 1
            entry.not_before = self.now + dt.timedelta(seconds=backoff(entry.attempts))
        if self.retry:
            OutboxEntry.objects.filter(pk__in=self.retry, claim=self.entries[0].claim).update(
                claim=None, claimed_at=None
            )
            OutboxEntry.objects.bulk_update(list(self.retry.values()), ["attempts", "not_before"])
        done = [e.pk for e in self.entries if e.pk not in self.retry]
        # Only entries still ours: a change meanwhile released the claim to run them again.
        OutboxEntry.objects.filter(pk__in=done, claim=self.entries[0].claim).delete()
        queue(self.follow_up, wake_worker=False)


def backoff(attempt: int) -> float:
    """Seconds before an outbox entry is tried again: 30 s doubling, up to an hour."""
    return min(3600.0, 30.0 * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)


class OrphanRemover:
    """Deletes the events of reservations that no longer exist."""

    def __init__(self, summary: PushSummary) -> None:
        self.summary = summary
        self.kept: set[int] = set()  # failed for now; the next run tries them again

    def run(self) -> None:
        while orphans := list(
            OutlookEvent.objects.filter(reservation__isnull=True, series__isnull=True)
            .filter(sync_connection__in=pushing_connections())
            .exclude(pk__in=self.kept)
            .select_related("sync_connection__tenant")[:500]
        ):
            self._remove(orphans)

    def _remove(self, orphans: list[OutlookEvent]) -> None:
        by_tenant: dict[int, list[OutlookEvent]] = defaultdict(list)
        for orphan in orphans:
            by_tenant[orphan.sync_connection.tenant_id].append(orphan)
        gone = []
        for links in by_tenant.values():
            client = GraphClient.for_tenant(links[0].sync_connection.tenant)
            requests = [
                client.delete_event_request(str(i), link.sync_connection.user_id, link.event_id)
                for i, link in enumerate(links)
            ]
            try:
                results = client.batch(requests)
            except GraphError as exc:
                results = [BatchResult(str(i), 0, None, exc) for i in range(len(links))]
            for link, result in zip(links, results, strict=True):
                if result.ok or result.status == 404:
                    gone.append(link.pk)
                    self.summary.deleted += 1
                elif result.error.permanent:
                    errors.record(
                        operation=Operation.DELETE,
                        stage="delete event",
                        connection=link.sync_connection,
                        status_code=result.status,
                        request_id=result.error.request_id,
                        message=f"{result.error.message} (event {link.event_id} of a "
                        "deleted reservation)",
                    )
                    gone.append(link.pk)
                    self.summary.failed += 1
                else:
                    self.kept.add(link.pk)
                    self.summary.retrying += 1
        OutlookEvent.objects.filter(pk__in=gone).delete()

"""Applying one page of delta to the back office: new Outlook meetings become inbound
reservations, changes update them, cancellations cancel them or ask a person; every entry
is written to the company log."""

from __future__ import annotations

import contextlib
import itertools
import logging
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from bookings.models import (
    Direction,
    Reservation,
    ReservationSeries,
    ReservationStatus,
    Resource,
    Staff,
    create_reservations,
    overlapping_pairs,
)
from bookings.overlaps import RoomDoubleBooked
from common import bulk
from syncconnections import google_events, providers, room_conflicts, signals
from syncconnections.graph import BatchResult, GraphClient, GraphError
from syncconnections.inbound.events import InboundEvent
from syncconnections.models import (
    CompanyLogEntry,
    ConflictOrigin,
    EventKind,
    LogOperation,
    OutlookCreation,
    OutlookEvent,
    SyncConnection,
    link_order,
    lock_calendars,
)

logger = logging.getLogger(__name__)


@dataclass
class PageResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    requested: int = 0  # cancellation requests made
    echoes: int = 0  # our own writes coming back
    conflicts: int = 0  # meetings on a slot a reservation holds

    def add(self, other: PageResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class PageApplier:
    def __init__(
        self,
        connection: SyncConnection,
        client: GraphClient | None,
        events: list[InboundEvent],
        checked: dict[str, BatchResult] | None = None,
    ) -> None:
        self.connection = connection
        # Graph's answers for removed events, asked already (delta.check_removals).
        self.checked = checked or {}
        self.tenant = connection.tenant
        self.provider = providers.for_tenant(self.tenant)
        # Graph's, to ask about removed events and series masters; None for a provider
        # whose listing needs no such questions (Google).
        self.client = client
        self.events = list({e.id: e for e in events}.values())  # the last entry of an event
        self.result = PageResult()
        self.log: list[dict[str, Any]] = []  # company log rows
        self.new: list[tuple[Reservation, InboundEvent]] = []
        self.changed_links: list[OutlookEvent] = []
        self.modified: list[tuple[Reservation, InboundEvent]] = []  # changed in Outlook
        self.cancel: list[tuple[Reservation, OutlookEvent]] = []
        self.requests: list[tuple[Reservation, InboundEvent]] = []
        self.rooms: dict[str, list[Resource]] = {}  # event id -> the rooms it may book
        self.joined: list[tuple[Reservation, InboundEvent]] = []  # copies of a booked meeting
        # Meetings in the way of another new one: conflicts once that one is booked.
        self.after_booking: list[tuple[Reservation, InboundEvent]] = []

    def apply(self) -> PageResult:
        if not self.events:
            return self.result
        ids = [e.id for e in self.events]
        self.links = {
            link.event_id: link
            for link in OutlookEvent.objects.filter(
                sync_connection=self.connection, event_id__in=ids
            ).select_related("reservation__resource__location", "reservation__series")
        }
        self.known = self._known_unlinked()
        self._confirm_removals()
        self._recall_deleted()
        self._load_lookups()
        # Only an entry logged without a booking can have been logged before: a new booking
        # is made once, its link ending the question.
        self.logged = self._already_logged(
            [
                e
                for e in self.events
                if e.id not in self.links
                and (e.removed or e.cancelled or self._resource_for(e) is None)
            ]
        )
        for event in self.events:
            link = self.links.get(event.id)
            if link is not None and link.reservation is not None:
                self._linked(event, link)
            elif link is None:
                self._unlinked(event)
        with transaction.atomic():
            lock_calendars([self.connection.pk])  # before its links, as a push does
            self._store()
        return self.result

    # --- reading -------------------------------------------------------------------------------

    def _known_unlinked(self) -> set[str]:
        """The removed events without a link that the company log has seen, and not yet as
        deleted. event-delta.md: @removed also lists events outside the window that were
        added, updated or deleted; an event never seen is no deletion of ours to log."""
        removed = [e.id[:255] for e in self.events if e.removed and e.id not in self.links]
        if not removed:
            return set()
        seen, deleted = set(), set()
        for event_id, operation in CompanyLogEntry.objects.filter(
            sync_connection=self.connection, event_id__in=removed
        ).values_list("event_id", "operation"):
            (deleted if operation == LogOperation.DELETED else seen).add(event_id)
        return seen - deleted

    def _confirm_removals(self) -> None:
        """An @removed entry is a deletion, or an event that left the window: ask Graph which,
        for the events we know."""
        removed = [
            e for e in self.events if e.removed and (e.id in self.links or e.id[:255] in self.known)
        ]
        if not removed or not self.provider.removals_need_checking or self.client is None:
            return
        unasked = [e for e in removed if e.id not in self.checked]
        requests = [
            self.client.get_event_request(str(i), self.connection.user_id, e.id)
            for i, e in enumerate(unasked)
        ]
        answers = dict(zip((e.id for e in unasked), self.client.batch(requests), strict=True))
        # Only Graph's "not found" is a deletion; any other failure fails the page, which is
        # tried again, rather than cancel a reservation whose event may still be there.
        for event in removed:
            result = answers.get(event.id) or self.checked[event.id]
            if result.ok and isinstance(result.body, dict):
                event.read(result.body)
            elif result.status != 404:
                raise result.error or GraphError(
                    f"Unexpected answer {result.status} checking a removed event",
                    status=result.status,
                )

    def _recall_deleted(self) -> None:
        """A deleted event is logged, and put to a person, as it was last seen: its last
        version in the company log, else what its reservation holds."""

        def to_log(event: InboundEvent) -> bool:
            link = self.links.get(event.id)
            if link is None:
                return event.id[:255] in self.known
            return (
                link.reservation is not None
                and link.reservation.status != ReservationStatus.CANCELLED  # nothing to log
            )

        deleted = {e.id[:255]: e for e in self.events if e.removed and to_log(e)}
        if not deleted:
            return
        last_seen: dict[str, dict[str, Any]] = {}
        for event_id, data in (
            CompanyLogEntry.objects.filter(
                sync_connection=self.connection,
                event_id__in=list(deleted),
                operation__in=(LogOperation.CREATED, LogOperation.UPDATED),
            )
            .order_by("-id")
            .values_list("event_id", "outlook_data")
        ):
            last_seen.setdefault(event_id, data)
        for event_id, event in deleted.items():
            link = self.links.get(event.id)
            event.recall(last_seen.get(event_id, {}), link.reservation if link else None)

    def _load_lookups(self) -> None:
        organizers = {e.organizer for e in self.events if e.organizer}
        self.staff = {s.email: s for s in Staff.objects.filter(email__in=organizers)}
        rooms = {a for e in self.events for a in e.attendees("resource")}
        self.resources = {
            r.mailbox_email: r
            for r in Resource.objects.filter(mailbox_email__in=rooms).select_related("location")
        }
        masters = {e.series_master_id for e in self.events if e.series_master_id}
        self.masters = {
            link.event_id: link
            for link in OutlookEvent.objects.filter(
                sync_connection=self.connection, kind=EventKind.SERIES, event_id__in=masters
            ).select_related("series")
        }
        self.ours = self._made_by_us(
            {e.transaction_id for e in self.events if e.transaction_id and e.id not in self.links}
        )
        self.our_masters = self._our_unlinked_masters()

    def _our_unlinked_masters(self) -> set[str]:
        """Masters of new instances that are our own series, made so recently that the push
        has not stored their link yet (it stores links after all its calls): an instance does
        not carry its master's transactionId, so the masters are read (one batch)."""
        unknown = sorted(
            {
                e.series_master_id
                for e in self.events
                if e.series_master_id
                and e.id not in self.links
                and not e.removed
                and e.series_master_id not in self.masters
            }
        )
        if not unknown:
            return set()
        if self.client is None:  # Google: our recurring events carry their series in their id
            return self._ours_by_id(unknown)
        requests = [
            self.client.get_event_request(str(i), self.connection.user_id, master_id)
            for i, master_id in enumerate(unknown)
        ]
        made: dict[str, str] = {}
        for master_id, result in zip(unknown, self.client.batch(requests), strict=True):
            if result.ok and isinstance(result.body, dict) and result.body.get("transactionId"):
                made[master_id] = str(result.body["transactionId"])
        ids = set()
        for value in made.values():
            with contextlib.suppress(ValueError):
                ids.add(uuid.UUID(value))
        ours = {
            str(u)
            for u in ReservationSeries.objects.filter(
                uuid__in=ids, direction=Direction.OUTBOUND
            ).values_list("uuid", flat=True)
        }
        return {master_id for master_id, tid in made.items() if tid in ours}

    @staticmethod
    def _ours_by_id(master_ids: list[str]) -> set[str]:
        """The recurring events made by us, told by their ids (google_events.transaction_id)."""
        made = {m: t for m in master_ids if (t := google_events.transaction_id(m))}
        ours = {
            str(u)
            for u in ReservationSeries.objects.filter(
                uuid__in=list(made.values()), direction=Direction.OUTBOUND
            ).values_list("uuid", flat=True)
        }
        return {master_id for master_id, tid in made.items() if tid in ours}

    def _made_by_us(self, transaction_ids: set[str]) -> dict[str, Reservation]:
        """The reservations whose events these transactionIds made: a first event carries the
        reservation's UUID, a later one the id of its OutlookCreation. Other apps' ids may be
        anything, not even UUIDs."""
        ids = set()
        for value in transaction_ids:
            with contextlib.suppress(ValueError):
                ids.add(uuid.UUID(value))
        if not ids:
            return {}
        found = {str(r.uuid): r for r in Reservation.objects.filter(uuid__in=ids)}
        for creation in OutlookCreation.objects.filter(
            sync_connection=self.connection, transaction_id__in=ids
        ).select_related("reservation__resource__location"):
            found[str(creation.transaction_id)] = creation.reservation
        return found

    def _already_logged(self, events: list[InboundEvent]) -> set[tuple[str, str]]:
        """(event id, changeKey, or operation for entries without one) of the log entries of
        these events: a resync or a window roll reads unlinked events again, and the same
        version of an event is logged once."""
        if not events:
            return set()
        found = CompanyLogEntry.objects.filter(
            sync_connection=self.connection, event_id__in=[e.id[:255] for e in events]
        ).values_list("event_id", "operation", f"outlook_data__{self.provider.version_field}")
        # A deletion is one entry whatever version it was logged with (see _recall_deleted).
        return {
            (event_id, operation if operation == LogOperation.DELETED else change_key or operation)
            for event_id, operation, change_key in found
        }

    # --- deciding --------------------------------------------------------------------------------

    def _linked(self, event: InboundEvent, link: OutlookEvent) -> None:
        reservation = link.reservation
        event.localize(reservation.resource.location.time_zone)
        if event.removed or event.cancelled:
            if reservation.status != ReservationStatus.CANCELLED:
                self._cancellation(event, link)
            return
        if event.change_key and event.change_key == link.change_key:
            self.result.echoes += 1  # the echo of our own write
            return
        link.change_key = event.change_key
        self.changed_links.append(link)
        fields = {"title": event.subject, "start": event.start, "end": event.end}
        changes = {
            k: v for k, v in fields.items() if v is not None and getattr(reservation, k) != v
        }
        self._log(LogOperation.UPDATED, event, reservation)
        if not changes or reservation.status in (
            ReservationStatus.CANCELLED,
            ReservationStatus.CLOSED,
        ):
            return
        # What Outlook now holds is what was "pushed": the change is never sent back.
        time_zone = reservation.resource.location.time_zone
        link.pushed = {**link.pushed, **self.provider.pushed_from(event, time_zone)}
        for name, value in changes.items():
            setattr(reservation, name, value)
        self.modified.append((reservation, event))
        self.result.updated += 1

    def _unlinked(self, event: InboundEvent) -> None:
        if event.removed and event.id[:255] not in self.known:
            return  # never seen here: outside the window, or gone before it was read
        if event.removed or event.cancelled:
            operation = LogOperation.DELETED if event.removed else LogOperation.CANCELLED
            key = operation if event.removed else event.change_key or operation
            if (event.id, key) not in self.logged:
                self._log(operation, event)
            return
        ours = self.ours.get(event.transaction_id)
        if ours is not None:  # made by us, its link lost in a crash: adopt it
            self.changed_links.append(self._link(ours, event))
            return
        master = self.masters.get(event.series_master_id)
        if master is not None and master.series and master.series.direction == Direction.OUTBOUND:
            return  # an instance of our own series, linked when it was made
        if event.series_master_id in self.our_masters:
            return  # the same, read before the push stored its links
        resource = self._resource_for(event)
        if resource is None:  # no room we know: logged, not booked
            if (event.id, event.change_key or LogOperation.CREATED) not in self.logged:
                self._log(LogOperation.CREATED, event)
            return
        event.localize(resource.location.time_zone)
        reservation = Reservation(
            resource=resource,
            staff=self.staff.get(event.organizer)
            if self.connection.resource_id
            else self.connection.staff,
            title=event.subject or "(no subject)",
            start=event.start,
            end=event.end,
            status=ReservationStatus.CONFIRMED,
            direction=Direction.INBOUND,
            organizer_email=event.organizer,
            exclusive=not resource.shared_space,
        )
        self.new.append((reservation, event))

    def _resource_for(self, event: InboundEvent) -> Resource | None:
        rooms = self._rooms_of(event)
        return rooms[0] if rooms else None

    def _rooms_of(self, event: InboundEvent) -> list[Resource]:
        """The rooms a meeting in this calendar books: the connection's own, or (a user's
        calendar) the rooms it invites that Bookbridge knows, in the order invited."""
        if self.connection.resource_id:
            return [self.connection.resource]
        if event.id not in self.rooms:
            self.rooms[event.id] = list(
                {
                    a: self.resources[a] for a in event.attendees("resource") if a in self.resources
                }.values()
            )
        return self.rooms[event.id]

    def _cancellation(self, event: InboundEvent, link: OutlookEvent) -> None:
        reservation = link.reservation
        cancels = self.tenant.ignore_cancellation_requests and reservation.can_be_cancelled
        if cancels:
            self._log(self._cancelled_as(event), event, reservation)
            self.cancel.append((reservation, link))
            self.result.cancelled += 1
        else:
            self.requests.append((reservation, event))  # logged when a person is asked

    @staticmethod
    def _cancelled_as(event: InboundEvent) -> str:
        return LogOperation.DELETED if event.removed else LogOperation.CANCELLED

    def _log(
        self, operation: str, event: InboundEvent, reservation: Reservation | None = None
    ) -> None:
        self.log.append(self._log_row(operation, event, reservation))

    def _log_row(
        self, operation: str, event: InboundEvent, reservation: Reservation | None
    ) -> dict[str, Any]:
        return {
            "sync_connection_id": self.connection.pk,
            "reservation_id": reservation.pk if reservation else None,
            "operation": operation,
            "mailbox": self.connection.user_id,
            "organizer_email": event.organizer,
            "attendee_emails": ", ".join(a for a in event.attendees() if a),
            "subject": event.subject,
            "start": event.start,
            "end": event.end,
            "event_id": event.id[:255],
            "outlook_data": event.data,
        }

    # --- writing ---------------------------------------------------------------------------------

    def _store(self) -> None:
        self._join_meetings()
        split = self._splits()
        self._hold_back_double_bookings()
        series = self._series_for_new([*self.new, *split])
        self._move_to_new_series(split, series)
        for reservation, event in self.new:
            reservation.series = series.get(event.series_master_id)
        created = create_reservations([r for r, _ in self.new])
        self.result.created += len(created)
        for holder, event in self.after_booking:
            self._conflict(holder, event)
        bulk.insert_rows(
            OutlookEvent,
            [
                {
                    "sync_connection_id": self.connection.pk,
                    "reservation_id": reservation.pk,
                    "mailbox": self.connection.user_id,
                    "event_id": event.id,
                    "ical_uid": event.ical_uid,
                    "change_key": event.change_key,
                    "kind": EventKind.OCCURRENCE if event.series_master_id else EventKind.SINGLE,
                }
                for reservation, (_, event) in zip(created, self.new, strict=True)
            ],
        )
        self._store_adopted([link for link in self.changed_links if link.pk is None])
        self._store_joined()
        existing = [link for link in self.changed_links if link.pk is not None]
        if existing:
            OutlookEvent.objects.bulk_update(existing, ["change_key", "pushed", "updated_at"])
        for reservation, event in self.modified:
            try:
                reservation.save()
            except RoomDoubleBooked as exc:  # moved in Outlook onto a slot held here
                self.result.updated -= 1
                self._conflict(exc.blocking, event)
        for reservation, link in self.cancel:
            link.delete()  # gone from Outlook already: nothing to delete there
            reservation.status = ReservationStatus.CANCELLED
            reservation.save()
        for reservation, event in self.requests:
            asked = signals.outlook_cancellation.send(
                sender=OutlookEvent,
                reservation=reservation,
                connection=self.connection,
                event_id=event.id,
                outlook_data=event.data,
            )
            # Read again (a resync, a window roll) while a person decides: nothing new.
            if any(response for _, response in asked):
                self._log(self._cancelled_as(event), event, reservation)
                self.result.requested += 1
        # Made while the database takes the rows before them (COPY streams).
        created_entries = (
            self._log_row(LogOperation.CREATED, event, reservation)
            for reservation, (_, event) in zip(created, self.new, strict=True)
        )
        bulk.insert_rows(CompanyLogEntry, itertools.chain(self.log, created_entries))

    def _join_meetings(self) -> None:
        """One meeting is one reservation per room, however many connected calendars hold a
        copy of it (organizer's, attendees', rooms'; each its own id, one iCalUId). A new
        event whose meeting a reservation of one of its rooms already stands for joins it.

        The rooms are locked first (in id order) and the question asked after: a sync of
        another calendar holding the same meeting, at the same time, books it or waits for
        this one to commit and then finds its reservation."""
        uids = {event.ical_uid for _, event in self.new if event.ical_uid}
        if not uids:
            return
        rooms = {r.pk for _, event in self.new for r in self._rooms_of(event)}
        list(
            Resource.objects.select_for_update(no_key=True)
            .filter(pk__in=sorted(rooms))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        booked: dict[tuple[int, str], Reservation] = {
            (link.reservation.resource_id, link.ical_uid): link.reservation
            for link in OutlookEvent.objects.filter(
                ical_uid__in=uids,
                sync_connection__tenant=self.tenant,
                reservation__direction=Direction.INBOUND,
            ).select_related("reservation")
        }
        still_new = []
        for reservation, event in self.new:
            joined = next(
                (
                    booked[key]
                    for room in self._rooms_of(event)
                    if (key := (room.pk, event.ical_uid)) in booked
                ),
                None,
            )
            if event.ical_uid and joined is not None:
                self.joined.append((joined, event))
            else:
                still_new.append((reservation, event))
                if event.ical_uid:
                    booked[(reservation.resource_id, event.ical_uid)] = reservation
        self.new = still_new

    def _hold_back_double_bookings(self) -> None:
        """A meeting on a slot that a reservation of its room holds is not booked: it is a
        conflict for a person to decide (keep ours, or give way), and logged as read."""
        refused = {id(r): holder for r, holder in overlapping_pairs(r for r, _ in self.new)}
        if not refused:
            return
        still_new = []
        for reservation, event in self.new:
            holder = refused.get(id(reservation))
            if holder is None:
                still_new.append((reservation, event))
                continue
            self._log(LogOperation.CREATED, event)
            self._conflict(holder, event)
        self.new = still_new

    def _conflict(self, holder: Reservation | None, event: InboundEvent) -> None:
        if holder is None:  # gone again meanwhile: the next read books the meeting
            return
        if holder.pk is None:  # two new meetings of this page: the first is booked first
            self.after_booking.append((holder, event))
            return
        room_conflicts.found(holder, self.connection, event.data, ConflictOrigin.SYNC_DOWN)
        self.result.conflicts += 1

    def _store_joined(self) -> None:
        """Links (and company log entries) of the copies that joined a booked meeting."""
        if not self.joined:
            return
        OutlookEvent.objects.bulk_create(
            sorted(
                (self._link(reservation, event) for reservation, event in self.joined),
                key=link_order,
            ),
            ignore_conflicts=True,  # linked meanwhile by another read of this calendar
        )
        self.log += [self._log_row(LogOperation.CREATED, e, r) for r, e in self.joined]

    def _link(self, reservation: Reservation, event: InboundEvent) -> OutlookEvent:
        """This calendar's link between an event and the reservation it stands for."""
        return OutlookEvent(
            sync_connection=self.connection,
            reservation=reservation,
            mailbox=self.connection.user_id,
            event_id=event.id,
            ical_uid=event.ical_uid,
            change_key=event.change_key,
            kind=EventKind.OCCURRENCE if event.series_master_id else EventKind.SINGLE,
        )

    def _store_adopted(self, links: list[OutlookEvent]) -> None:
        """Links to events of ours whose answer the push has not stored (yet): it may store
        the same link meanwhile, which is the same success (its row is kept)."""
        if not links:
            return
        OutlookEvent.objects.bulk_create(sorted(links, key=link_order), ignore_conflicts=True)
        OutlookCreation.objects.filter(
            sync_connection=self.connection, reservation__in=[link.reservation for link in links]
        ).update(linked=True)

    def _splits(self) -> list[tuple[Reservation, InboundEvent]]:
        """Outlook's "this and following": the series' recurring event ends sooner and a new
        one holds the occurrences from that day on. An inbound occurrence that left Outlook
        in this page, on a day an instance of a series new here falls on (same room, same
        organizer), is that instance: it moves to the new series rather than be cancelled
        (or put to a person) while the new one is booked beside it. Those pairs, taken out of
        the new and the cancelled."""
        gone: dict[tuple[int, str, Any], Reservation] = {}
        leaving = [r for r, _ in self.cancel] + [r for r, e in self.requests if e.removed]
        for reservation in leaving:
            if reservation.series_id and reservation.is_inbound:
                gone[self._day_key(reservation)] = reservation
        if not gone:
            return []
        split, still_new = [], []
        for reservation, event in self.new:
            fresh_master = event.series_master_id and event.series_master_id not in self.masters
            match = gone.pop(self._day_key(reservation), None) if fresh_master else None
            if match is None:
                still_new.append((reservation, event))
            else:
                split.append((match, event))
        self.new = still_new
        moved = {r.pk for r, _ in split}
        self.cancel = [(r, link) for r, link in self.cancel if r.pk not in moved]
        self.requests = [(r, e) for r, e in self.requests if r.pk not in moved]
        return split

    @staticmethod
    def _day_key(reservation: Reservation) -> tuple[int, str, Any]:
        zone = ZoneInfo(reservation.resource.location.time_zone)
        day = reservation.start.astimezone(zone).date()
        return (reservation.resource_id, reservation.organizer_email.lower(), day)

    def _move_to_new_series(
        self, split: list[tuple[Reservation, InboundEvent]], series: dict[str, ReservationSeries]
    ) -> None:
        for reservation, event in split:
            OutlookEvent.objects.filter(
                sync_connection=self.connection, reservation=reservation
            ).delete()  # its old instance is gone from Outlook
            reservation.series = series[event.series_master_id]
            reservation.title = event.subject or reservation.title
            reservation.start, reservation.end = event.start, event.end
            try:
                reservation.save()
            except RoomDoubleBooked as exc:  # moved onto a slot held here
                self._conflict(exc.blocking, event)
                continue
            self._link(reservation, event).save()
            self._log(LogOperation.UPDATED, event, reservation)
            self.result.updated += 1

    def _series_for_new(
        self, new: list[tuple[Reservation, InboundEvent]]
    ) -> dict[str, ReservationSeries]:
        """Inbound series for new occurrences, one per Outlook series master."""
        found = {master_id: link.series for master_id, link in self.masters.items() if link.series}
        for reservation, event in new:
            master_id = event.series_master_id
            if master_id and master_id not in found:
                series = ReservationSeries.objects.create(
                    title=reservation.title,
                    resource=reservation.resource,
                    staff=reservation.staff,
                    status=ReservationStatus.CONFIRMED,
                    direction=Direction.INBOUND,
                    occurrences_complete=True,
                )
                OutlookEvent.objects.create(
                    sync_connection=self.connection,
                    series=series,
                    kind=EventKind.SERIES,
                    mailbox=self.connection.user_id,
                    event_id=master_id,
                )
                found[master_id] = series
        return found

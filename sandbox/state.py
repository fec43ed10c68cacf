"""Everything the sandbox knows, in memory, behind one lock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import pickle
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.calendar import (
    UTC,
    WRITABLE,
    Event,
    Instance,
    InvalidEvent,
    Override,
    check_all_day,
    new_change_key,
    new_id,
    parse_graph_time,
)
from sandbox.google_state import GoogleState

logger = logging.getLogger(__name__)

DEFAULT_TENANT = "sandbox"
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
DEFAULT_ROVER_CLIENT_ID = "sandbox-rover"
DEFAULT_ROVER_CLIENT_SECRET = "sandbox-secret"
DEFAULT_HOTEL_ID = 1
ALL_PERMISSIONS = frozenset({"Calendars.ReadWrite", "User.Read.All", "Place.Read.All"})
# Fields whose change reshapes a series: its exceptions are lost.
RESHAPES_SERIES = frozenset({"recurrence", "start", "end", "isAllDay"})
PROCESSING_MODES = ("AutoAccept", "AutoUpdate", "None")
TOKEN_LIFETIME = dt.timedelta(hours=1)


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


@dataclass
class App:
    """An app registration (client credentials) in a tenant."""

    tenant: str
    client_id: str
    client_secret: str
    permissions: set[str] = field(default_factory=lambda: set(ALL_PERMISSIONS))


@dataclass
class Token:
    tenant: str
    client_id: str
    expires_at: dt.datetime


@dataclass
class Calendar:
    id: str
    name: str
    is_default: bool = False


@dataclass
class Mailbox:
    address: str
    tenant: str
    display_name: str
    kind: str  # "user" or "room"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    calendars: dict[str, Calendar] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    # A room's calendar processing (Set-CalendarProcessing): with AutoAccept and conflicts not
    # allowed, the defaults of a room made in Exchange Online, an invitation that clashes
    # with the room's calendar is declined. Only rooms process invitations here.
    automate_processing: str = "AutoAccept"
    allow_conflicts: bool = False

    @property
    def default_calendar(self) -> Calendar:
        return next(c for c in self.calendars.values() if c.is_default)

    @property
    def declines_conflicts(self) -> bool:
        auto_accepts = self.kind == "room" and self.automate_processing == "AutoAccept"
        return auto_accepts and not self.allow_conflicts

    def busy_instances(self) -> list[Instance]:
        """What holds time in the default calendar, the one free/busy reads."""
        calendar_id = self.default_calendar.id
        return [
            instance
            for event in self.events.values()
            if event.calendar_id == calendar_id
            for instance in event.instances()
            if instance.makes_busy
        ]


@dataclass
class Room:
    address: str
    display_name: str
    capacity: int | None
    building: str
    room_list: str | None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class RoomList:
    address: str
    display_name: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Subscription:
    id: str
    tenant: str
    client_id: str
    resource: str
    mailbox: str
    calendar_id: str | None
    change_types: set[str]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires_at: dt.datetime


@dataclass
class DeltaToken:
    mailbox: str
    calendar_id: str
    start: dt.datetime
    end: dt.datetime
    seq: int
    expired: bool = False


@dataclass
class Fault:
    """Make the next `times` calls whose path matches `path` (a regular expression) and
    method matches misbehave."""

    id: int
    path: str
    method: str
    times: int
    kind: str  # "status", "delay", "drop" (before handling), "drop_after_write"
    status: int = 503
    retry_after: int | None = None
    code: str = ""
    message: str = ""
    seconds: float = 0.0
    skip: int = 0  # let this many matching calls through first

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and self.method in ("*", method)
            and re.search(self.path, path, re.IGNORECASE) is not None
        )


@dataclass
class RoverState:
    clients: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_ROVER_CLIENT_ID: DEFAULT_ROVER_CLIENT_SECRET}
    )
    hotels: set[int] = field(default_factory=lambda: {DEFAULT_HOTEL_ID})
    tokens: dict[str, dt.datetime] = field(default_factory=dict)
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    posting_accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    charges: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    next_id: int = 1000

    def allocate_id(self) -> int:
        self.next_id += 1
        return self.next_id


class State:
    """The sandbox's world. Hold `lock` while reading or changing anything."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.on_event_change: Callable[[Mailbox, Event, str, str], None] = lambda *a: None
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.apps: dict[tuple[str, str], App] = {}
            self.tokens: dict[str, Token] = {}
            self.mailboxes: dict[str, Mailbox] = {}
            self.rooms: dict[str, Room] = {}
            self.room_lists: dict[str, RoomList] = {}
            self.subscriptions: dict[str, Subscription] = {}
            self.delta_tokens: dict[str, DeltaToken] = {}
            self.delta_pages: dict[str, tuple[list[dict[str, Any]], str]] = {}
            self.transactions: dict[tuple[str, str], str] = {}  # (mailbox, transactionId) -> id
            self.faults: list[Fault] = []
            self.fault_ids = 0
            self.requests: list[dict[str, Any]] = []
            self.settings: dict[str, Any] = {
                "notify_before_answer": False,
                "latency": 0.0,
                "notification_concurrency": 1,
            }
            self.seq = 0
            self.rover = RoverState()
            self.google = GoogleState()
            self.add_app(DEFAULT_TENANT, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # --- keeping the world across restarts ---------------------------------------------------

    # What a restart keeps: everything a client may hold an id of (mailboxes, calendars and
    # events, subscriptions, delta and access tokens, Rover's companies). Not the request
    # log, injected faults or settings, which belong to one run.
    KEPT = (
        "apps",
        "tokens",
        "mailboxes",
        "rooms",
        "room_lists",
        "subscriptions",
        "delta_tokens",
        "delta_pages",
        "transactions",
        "seq",
        "rover",
        "google",
    )

    def save(self, path: Path) -> None:
        """Write the world to `path` in one step (a crash leaves the previous file)."""
        with self.lock:
            data = pickle.dumps({name: getattr(self, name) for name in self.KEPT})
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(data)
        os.replace(partial, path)

    def load(self, path: Path) -> bool:
        """Take the world saved in `path`, if there is one; False when there is none."""
        if not path.exists():
            return False
        try:
            kept = pickle.loads(path.read_bytes())  # our own file, written by save()
        except Exception as exc:  # another version's, or damaged: start afresh, say so
            logger.warning("sandbox state in %s not read (%s): starting empty", path, exc)
            return False
        with self.lock:
            for name in self.KEPT:
                if name in kept:  # a part an older sandbox did not have starts fresh
                    setattr(self, name, kept[name])
        return True

    # --- identity --------------------------------------------------------------------------

    def add_app(
        self, tenant: str, client_id: str, secret: str, permissions: set[str] | None = None
    ) -> App:
        app = App(
            tenant, client_id, secret, set(ALL_PERMISSIONS if permissions is None else permissions)
        )
        self.apps[(tenant, client_id)] = app
        return app

    def knows_tenant(self, tenant: str) -> bool:
        return any(t == tenant for t, _ in self.apps)

    def issue_token(self, app: App) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = Token(app.tenant, app.client_id, now() + TOKEN_LIFETIME)
        return token, int(TOKEN_LIFETIME.total_seconds())

    def revoke(self, tenant: str) -> None:
        """Credentials of the tenant stop working: tokens die, secrets are rotated away."""
        for key, app in self.apps.items():
            if key[0] == tenant:
                app.client_secret = secrets.token_urlsafe(16)
        self.tokens = {k: t for k, t in self.tokens.items() if t.tenant != tenant}

    # --- mailboxes and events --------------------------------------------------------------

    def add_mailbox(
        self,
        address: str,
        *,
        tenant: str = DEFAULT_TENANT,
        display_name: str = "",
        kind: str = "user",
        calendars: list[str] | None = None,
        automate_processing: str | None = None,
        allow_conflicts: bool | None = None,
    ) -> Mailbox:
        address = address.lower()
        mailbox = self.mailboxes.get(address)
        if mailbox is None:
            mailbox = Mailbox(address, tenant, display_name or address.split("@")[0], kind)
            default = Calendar(new_id(), "Calendar", is_default=True)
            mailbox.calendars[default.id] = default
            self.mailboxes[address] = mailbox
        if automate_processing is not None:
            mailbox.automate_processing = automate_processing
        if allow_conflicts is not None:
            mailbox.allow_conflicts = allow_conflicts
        for name in calendars or []:
            if not any(c.name == name for c in mailbox.calendars.values()):
                calendar = Calendar(new_id(), name)
                mailbox.calendars[calendar.id] = calendar
        return mailbox

    def find_mailbox(self, tenant: str, user: str) -> Mailbox | None:
        user = user.lower()
        mailbox = self.mailboxes.get(user) or next(
            (m for m in self.mailboxes.values() if m.id == user), None
        )
        return mailbox if mailbox and mailbox.tenant == tenant else None

    def find_event(self, mailbox: Mailbox, event_id: str) -> tuple[Event, str | None] | None:
        """The event, and the occurrence key when the id names an occurrence or exception."""
        event = mailbox.events.get(event_id)
        if event and not event.deleted:
            return event, None
        if ".OCC." in event_id:  # an occurrence keeps its id when it becomes an exception
            master_id, key = event_id.split(".OCC.", 1)
            master = mailbox.events.get(master_id)
            if (
                master
                and not master.deleted
                and key not in master.cancelled
                and any(i.key == key for i in master.instances())
            ):
                return master, key
        return None

    def create_event(
        self, mailbox: Mailbox, calendar_id: str, body: dict[str, Any], organizer: str | None
    ) -> tuple[Event, bool]:
        """Create an event, and its copies in the invited mailboxes of the tenant; (event,
        False) when transactionId names one made before."""
        transaction_id = body.get("transactionId")
        if transaction_id:
            existing = self.transactions.get((mailbox.address, transaction_id))
            # A repeated transactionId never makes a second event (event.md: "avoid redundant
            # POST operations"): the first one comes back, whatever became of it since.
            if existing:
                return mailbox.events[existing], False
        fields = {k: v for k, v in body.items() if k in WRITABLE and k != "transactionId"}
        for required in ("start", "end"):
            if required not in fields:
                raise InvalidEvent(f"'{required}' is required.")
        start, end = self._times(fields, fields["start"], fields["end"])
        fields.setdefault(
            "organizer",
            {
                "emailAddress": {
                    "address": organizer or mailbox.address,
                    "name": mailbox.display_name,
                }
            },
        )
        stamp = now()
        event = Event(
            id=new_id(),
            mailbox=mailbox.address,
            calendar_id=calendar_id,
            fields=fields,
            start=start,
            end=end,
            seq=self.next_seq(),
            created=stamp,
            modified=stamp,
            transaction_id=transaction_id,
            time_zone=fields["start"].get("timeZone") or "UTC",
        )
        if event.is_series:
            event.occurrence_starts()  # refuse an unsupported pattern now, not when read
        mailbox.events[event.id] = event
        if transaction_id:
            self.transactions[(mailbox.address, transaction_id)] = event.id
        self.on_event_change(mailbox, event, "created", event.id)
        self._invite(event, self._invitees(event))
        return event, True

    @staticmethod
    def _times(
        fields: dict[str, Any], start_value: Any, end_value: Any
    ) -> tuple[dt.datetime, dt.datetime]:
        start = parse_graph_time(start_value, "start")
        end = parse_graph_time(end_value, "end")
        if end < start:
            raise InvalidEvent("The end of the event is before its start.")
        if fields.get("isAllDay"):
            check_all_day({"start": start_value, "end": end_value})
        return start, end

    def update_event(
        self, mailbox: Mailbox, event: Event, key: str | None, changes: dict[str, Any]
    ) -> None:
        fields = {k: v for k, v in changes.items() if k in WRITABLE and k != "transactionId"}
        if key is None:
            before = event.keys() if event.is_series else set()
            merged = {**event.fields, **fields}
            if merged.get("recurrence"):  # an unsupported pattern is refused, nothing changed
                dataclasses.replace(event, fields=merged).occurrence_starts()
            if "start" in fields or "end" in fields or "isAllDay" in fields:
                event.start, event.end = self._times(merged, merged["start"], merged["end"])
                event.time_zone = merged["start"].get("timeZone") or "UTC"
            if event.is_series and RESHAPES_SERIES & {
                k for k in fields if fields[k] != event.fields.get(k)
            }:
                # Outlook: changing a series' recurrence or its times "cancels any exceptions
                # associated with this recurring appointment": moved, renamed and deleted
                # occurrences become plain occurrences of the new pattern again.
                event.overrides, event.cancelled = {}, {}
            event.fields = merged
            event.seq = self.next_seq()
            event.vanish(before, event.seq)
            event.change_key = new_change_key()
            changed_id = event.id
        else:
            instance = next(i for i in event.instances() if i.key == key)
            start = (
                parse_graph_time(fields["start"], "start") if "start" in fields else instance.begins
            )
            end = parse_graph_time(fields["end"], "end") if "end" in fields else instance.ends
            if end < start:
                raise InvalidEvent("The end of the event is before its start.")
            previous = event.overrides.get(key)
            override_fields = {**(previous.fields if previous else {}), **fields}
            event.overrides[key] = Override(
                id=event.occurrence_id(key),
                fields=override_fields,
                start=start,
                end=end,
                change_key=new_change_key(),
                seq=self.next_seq(),
            )
            changed_id = event.overrides[key].id
        event.modified = now()
        self.on_event_change(mailbox, event, "updated", changed_id)
        if event.copy_of is None:
            self._send_update(event, key)

    def mark_cancelled(self, mailbox: Mailbox, event: Event, key: str | None) -> None:
        """What an attendee's (a room's) copy becomes when the organizer cancels: still
        there, marked cancelled ("isCancelled" is read-only to API clients)."""
        for copy in [event, *self.copies_of(event)]:
            self._cancel_copy(copy, key)

    def delete_event(self, mailbox: Mailbox, event: Event, key: str | None) -> None:
        """Delete the event (or one occurrence). Deleting a meeting in the organizer's
        calendar cancels it for the attendees (event-delete.md): their copies stay, marked
        cancelled."""
        if key is None:
            event.deleted = True
            event.seq = self.next_seq()
            changed_id = event.id
        else:
            changed_id = event.occurrence_id(key)
            event.cancelled[key] = self.next_seq()
        event.modified = now()
        self.on_event_change(mailbox, event, "deleted", changed_id)
        for copy in self.copies_of(event):
            self._cancel_copy(copy, key)

    # --- a meeting's copies in the attendees' calendars ------------------------------------

    def origin_of(self, event: Event) -> Event:
        """The organizer's event of a meeting (the event itself when it is no copy)."""
        if event.copy_of is None:
            return event
        mailbox_address, event_id = event.copy_of
        origin = self.mailboxes[mailbox_address].events.get(event_id)
        return origin if origin is not None and not origin.deleted else event

    def copies_of(self, event: Event) -> list[Event]:
        found = []
        for address, copy_id in event.copies.items():
            copy = self.mailboxes[address].events.get(copy_id)
            if copy is not None and not copy.deleted:
                found.append(copy)
        return found

    def _invitees(self, event: Event) -> set[str]:
        """The attendees that are mailboxes of the event's tenant: each gets a copy."""
        tenant = self.mailboxes[event.mailbox].tenant
        found = set()
        for attendee in event.fields.get("attendees") or []:
            address = str(((attendee or {}).get("emailAddress") or {}).get("address") or "")
            mailbox = self.mailboxes.get(address.lower())
            if mailbox and mailbox.tenant == tenant and mailbox.address != event.mailbox:
                found.add(mailbox.address)
        return found

    def _invite(self, origin: Event, addresses: set[str]) -> None:
        for address in sorted(addresses - origin.copies.keys()):
            target = self.mailboxes[address]
            if target.declines_conflicts and self._clashes(target, origin):
                # The resource booking assistant: "free = accept; busy = decline"; no copy
                # stays in the room's calendar.
                self.respond(origin, address, "declined")
                continue
            copy = Event(
                id=new_id(),
                mailbox=address,
                calendar_id=target.default_calendar.id,
                fields={},
                start=origin.start,
                end=origin.end,
                seq=0,
                created=now(),
                modified=now(),
                ical_uid=origin.ical_uid,
                time_zone=origin.time_zone,
                copy_of=(origin.mailbox, origin.id),
            )
            self._copy_from(origin, copy)
            target.events[copy.id] = copy
            origin.copies[address] = copy.id
            self.on_event_change(target, copy, "created", copy.id)
            if target.kind == "room" and target.automate_processing == "AutoAccept":
                self.respond(origin, address, "accepted")

    @staticmethod
    def _clashes(room: Mailbox, origin: Event) -> bool:
        """Whether any occurrence of the meeting overlaps time the room's calendar holds
        (ConflictPercentageAllowed and MaximumConflictInstances are 0 by default: one
        clashing occurrence declines a whole series)."""
        wanted = [(i.begins, i.ends) for i in origin.instances()]
        return any(
            busy.overlaps(start, end)
            for busy in room.busy_instances()
            if busy.event.ical_uid != origin.ical_uid
            for start, end in wanted
        )

    def respond(self, origin: Event, address: str, response: str) -> None:
        """An attendee's response reaches the organizer: their event shows it in the
        attendee's status (responsestatus.md: response, and the time in UTC)."""
        attendees = []
        for attendee in origin.fields.get("attendees") or []:
            email = str(((attendee or {}).get("emailAddress") or {}).get("address") or "")
            if email.lower() == address:
                status = {"response": response, "time": now().strftime("%Y-%m-%dT%H:%M:%SZ")}
                attendee = {**attendee, "status": status}
            attendees.append(attendee)
        origin.fields["attendees"] = attendees
        origin.seq = self.next_seq()
        origin.change_key = new_change_key()
        origin.modified = now()
        self.on_event_change(self.mailboxes[origin.mailbox], origin, "updated", origin.id)

    def decline(self, mailbox: Mailbox, copy: Event, key: str | None, send_response: bool) -> None:
        """An attendee declines: their copy leaves their calendar (Exchange deletes a declined
        meeting), and the organizer learns of it unless no response is sent."""
        origin = self.origin_of(copy)
        self.delete_event(mailbox, copy, key)
        if key is not None or origin is copy:
            return
        origin.copies.pop(mailbox.address, None)  # an update invites them again
        if send_response:
            self.respond(origin, mailbox.address, "declined")

    def accept(self, mailbox: Mailbox, copy: Event, response: str, send_response: bool) -> None:
        """An attendee accepts (or tentatively): the copy stays, shown busy or tentative."""
        shown = "tentative" if response == "tentativelyAccepted" else "busy"
        if copy.fields.get("showAs") != shown:
            copy.fields["showAs"] = shown
            copy.seq = self.next_seq()
            copy.change_key = new_change_key()
            copy.modified = now()
            self.on_event_change(mailbox, copy, "updated", copy.id)
        origin = self.origin_of(copy)
        if send_response and origin is not copy:
            self.respond(origin, mailbox.address, response)

    def _copy_from(self, origin: Event, copy: Event) -> None:
        before = copy.keys() if copy.is_series else set()
        copy.fields = {k: v for k, v in origin.fields.items() if k != "isCancelled"}
        copy.start, copy.end, copy.time_zone = origin.start, origin.end, origin.time_zone
        copy.overrides = {
            key: Override(
                id=copy.occurrence_id(key),
                fields=dict(override.fields),
                start=override.start,
                end=override.end,
                change_key=new_change_key(),
                seq=self.next_seq(),
            )
            for key, override in origin.overrides.items()
        }
        copy.cancelled = {
            key: copy.cancelled.get(key) or self.next_seq() for key in origin.cancelled
        }
        copy.seq = self.next_seq()
        copy.vanish(before, copy.seq)
        copy.change_key = new_change_key()
        copy.modified = now()

    def _send_update(self, origin: Event, key: str | None) -> None:
        """The organizer changed the meeting: every attendee's copy follows; attendees added
        get a copy, those removed get a cancellation."""
        invited = self._invitees(origin)
        for copy in self.copies_of(origin):
            if copy.mailbox not in invited:
                self._cancel_copy(copy, None)
                continue
            self._copy_from(origin, copy)
            changed = copy.id if key is None else copy.occurrence_id(key)
            self.on_event_change(self.mailboxes[copy.mailbox], copy, "updated", changed)
        self._invite(origin, invited)

    def _cancel_copy(self, event: Event, key: str | None) -> None:
        """Outlook marks a cancelled meeting (or occurrence) in the calendar it stays in:
        isCancelled, and "Canceled: " before the subject."""
        master_subject = event.fields.get("subject", "")
        if key is None:
            if event.fields.get("isCancelled"):
                return
            event.fields["isCancelled"] = True
            event.fields["subject"] = f"Canceled: {master_subject}"
            event.seq = self.next_seq()
            event.change_key = new_change_key()
            changed = event.id
        else:
            instance = next((i for i in event.instances() if i.key == key), None)
            previous = event.overrides.get(key)
            if instance is None or (previous and previous.fields.get("isCancelled")):
                return
            fields = dict(previous.fields) if previous else {}
            fields["isCancelled"] = True
            fields["subject"] = f"Canceled: {fields.get('subject', master_subject)}"
            event.overrides[key] = Override(
                id=event.occurrence_id(key),
                fields=fields,
                start=instance.begins,
                end=instance.ends,
                change_key=new_change_key(),
                seq=self.next_seq(),
            )
            changed = event.occurrence_id(key)
        event.modified = now()
        self.on_event_change(self.mailboxes[event.mailbox], event, "updated", changed)

    # --- faults and the request log ----------------------------------------------------------

    def add_fault(self, **spec: Any) -> Fault:
        self.fault_ids += 1
        fault = Fault(id=self.fault_ids, **spec)
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.skip:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    def log_request(self, **entry: Any) -> None:
        self.requests.append({"id": len(self.requests) + 1, "at": time.time(), **entry})

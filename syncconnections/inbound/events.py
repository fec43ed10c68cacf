"""Outlook events as delta returns them, read into what inbound sync needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bookings.models import Reservation
from syncconnections import payloads


class InboundEvent:
    """An entry of a delta page, read once: a sync of thousands of events asks each of them
    the same things several times, and reading can be done ahead, beside the database work."""

    __slots__ = (
        "_attendees",
        "all_day",
        "cancelled",
        "change_key",
        "data",
        "end",
        "ical_uid",
        "id",
        "organizer",
        "removed",
        "series_master_id",
        "start",
        "subject",
        "transaction_id",
    )

    def __init__(self, data: dict[str, Any]) -> None:
        self.id: str = data["id"]
        self.read(data)

    def read(self, data: dict[str, Any]) -> None:
        """(Re)read the event from Graph's JSON, e.g. the event itself in place of the
        "@removed" entry that announced it."""
        self.data = data
        self.removed: bool = "@removed" in data  # deleted, or moved out of the window
        self.cancelled = bool(data.get("isCancelled"))
        self.subject: str = (data.get("subject") or "")[:255]
        start, end = data.get("start"), data.get("end")
        self.start: dt.datetime | None = payloads.parse_local(start) if start else None
        self.end: dt.datetime | None = payloads.parse_local(end) if end else None
        self.all_day = bool(data.get("isAllDay")) and start is not None and end is not None
        self.change_key: str = data.get("changeKey") or ""
        self.ical_uid: str = (data.get("iCalUId") or "")[:255]
        self.series_master_id: str = data.get("seriesMasterId") or ""
        self.transaction_id: str = data.get("transactionId") or ""
        organizer = (data.get("organizer") or {}).get("emailAddress") or {}
        self.organizer: str = (organizer.get("address") or "").lower()
        self._attendees = [
            ((a.get("emailAddress") or {}).get("address", "").lower(), a.get("type"))
            for a in data.get("attendees") or []
        ]

    def localize(self, time_zone: str) -> None:
        """An all-day event's days as days of the room's time zone (Graph gives midnights
        of the zone it was asked in, UTC)."""
        if self.all_day:
            self.start, self.end = payloads.times_from_graph(self.data, time_zone)

    def recall(self, last_seen: dict[str, Any], reservation: Reservation | None) -> None:
        """Fill in a deleted event, of which Graph sends the id alone: its data is the last
        version read (the removal on top), its subject and times those of its reservation,
        which has followed every change since, if it has one."""
        self.read({**last_seen, **self.data})
        if reservation is None:
            return
        self.subject = reservation.title[:255]
        self.start, self.end = reservation.start, reservation.end
        self.organizer = self.organizer or reservation.organizer_email

    def attendees(self, kind: str | None = None) -> list[str]:
        return [address for address, type_ in self._attendees if kind is None or type_ == kind]

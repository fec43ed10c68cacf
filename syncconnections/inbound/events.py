"""Outlook events as delta returns them, read into what inbound sync needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from syncconnections import payloads


@dataclass
class InboundEvent:
    id: str
    removed: bool  # an "@removed" entry: deleted, or moved out of the window
    data: dict[str, Any]

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> InboundEvent:
        return cls(data["id"], "@removed" in data, data)

    @property
    def cancelled(self) -> bool:
        return bool(self.data.get("isCancelled"))

    @property
    def subject(self) -> str:
        return (self.data.get("subject") or "")[:255]

    @property
    def start(self) -> dt.datetime | None:
        value = self.data.get("start")
        return payloads.parse_local(value) if value else None

    @property
    def end(self) -> dt.datetime | None:
        value = self.data.get("end")
        return payloads.parse_local(value) if value else None

    @property
    def change_key(self) -> str:
        return self.data.get("changeKey") or ""

    @property
    def series_master_id(self) -> str:
        return self.data.get("seriesMasterId") or ""

    @property
    def transaction_id(self) -> str:
        return self.data.get("transactionId") or ""

    @property
    def organizer(self) -> str:
        organizer = (self.data.get("organizer") or {}).get("emailAddress") or {}
        return (organizer.get("address") or "").lower()

    def attendees(self, kind: str | None = None) -> list[str]:
        return [
            (a.get("emailAddress") or {}).get("address", "").lower()
            for a in self.data.get("attendees") or []
            if kind is None or a.get("type") == kind
        ]

"""What one run of the outbound worker did, as its task's result shows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PushSummary:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    throttled: int = 0
    conflicts: int = 0  # held back: an Outlook meeting is in the way

"""Bookbridge → Google Calendar: the reads and writes of one push, sent in Google's batches
(GoogleClient.batch, fifty calls a request). The pusher plans what to do, whatever the
provider; these are Google's calls for it, answered in the pusher's terms (BatchResult)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncconnections.google import (
    THROTTLE_REASONS,
    GoogleClient,
    GoogleError,
    error_from_body,
    event_id,
)
from syncconnections.graph import BatchResult

CREATE, UPDATE, DELETE = "create", "update", "delete"


@dataclass
class Write:
    kind: str  # CREATE, UPDATE or DELETE
    calendar: str
    event_id: str
    payload: dict[str, Any]


def new_event_id(payload: dict[str, Any]) -> str:
    """The id of the event a create makes: from its transactionId (the reservation's uuid,
    then its OutlookCreation's), so that the create sent again finds the first (409)."""
    return event_id(payload["transactionId"])


def _call(write: Write) -> tuple[str, str, Any]:
    path = GoogleClient.events_path(write.calendar)
    body = {k: v for k, v in write.payload.items() if k != "transactionId"}
    if write.kind == CREATE:
        return "POST", path, {**body, "id": write.event_id}
    if write.kind == UPDATE:
        return "PATCH", f"{path}/{write.event_id}", body
    return "DELETE", f"{path}/{write.event_id}", None


def send(client: GoogleClient, writes: list[Write]) -> list[BatchResult]:
    """Each write's answer, in order. A create Google answers 409 (its id is taken: the event
    was made by an earlier try whose answer was lost, or made and deleted since) is adopted:
    patched to what it should be, and restored if it was deleted."""
    results = _batch(client, [_call(w) for w in writes])
    adopted = [n for n, w in enumerate(writes) if w.kind == CREATE and results[n].status == 409]
    if adopted:
        patches = [
            _call(Write(UPDATE, w.calendar, w.event_id, {"status": "confirmed", **w.payload}))
            for w in (writes[n] for n in adopted)
        ]
        for n, result in zip(adopted, _batch(client, patches), strict=True):
            results[n] = result
    for write, result in zip(writes, results, strict=True):
        if write.kind == DELETE and result.status == 410:  # deleted already: gone, as asked
            result.status, result.error = 404, None
    return results


def _batch(client: GoogleClient, calls: list[tuple[str, str, Any]]) -> list[BatchResult]:
    if not calls:
        return []
    try:
        answers = client.batch(calls)
    except GoogleError as exc:
        return [BatchResult(str(n), exc.status or 0, None, exc) for n in range(len(calls))]
    return [
        BatchResult(str(n), status, body, None if status < 400 else _error(status, body))
        for n, (status, body) in enumerate(answers)
    ]


def _error(status: int, body: Any) -> GoogleError:
    error = error_from_body(status, body)
    if error.code in THROTTLE_REASONS:
        error.permanent = False  # Google's rate limits come as 403 too: back off, try again
    return error

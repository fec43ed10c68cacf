"""Google Calendar API v3 stand-in: events of the Workspace's calendars, inserted with a
client-chosen id, read, patched and deleted, and listed with incremental sync tokens.
Written from Google's reference and guides (developers.google.com/workspace/calendar/api:
events.insert/get/patch/delete/list, "Synchronize resources efficiently", "Handle API
errors"):

- an event id is 5-1024 characters of base32hex (a-v, 0-9); an id in use, or once used by an
  event since deleted, is a 409 `duplicate` ("The requested identifier already exists.");
- deleting a deleted event is a 410 `deleted`; an event that never existed is a 404 `notFound`;
  `get` always answers a deleted event, with status `cancelled`;
- a list returns deleted events only with `showDeleted` or on an incremental sync;
  `nextSyncToken` comes on the last page only; `iCalUID`, `orderBy`, `q`, `timeMin`,
  `timeMax`, `updatedMin` and the extended-property filters are refused (400) beside a
  `syncToken`; a sync token the server no longer honours is a 410 `fullSyncRequired`;
- a page holds `maxResults` events (default 250, at most 2500).

Who may use a calendar: its own user, and the domain's admins for the rooms' (resource)
calendars, which Workspace admins manage.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from typing import Any

from sandbox.google_api import api_error, authorized
from sandbox.google_state import CALENDAR_EVENTS_SCOPE, CALENDAR_SCOPE
from sandbox.web import HttpError, Request, Response, Router

router = Router()
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
WRITE_SCOPES = {CALENDAR_SCOPE, CALENDAR_EVENTS_SCOPE}
READ_SCOPES = WRITE_SCOPES | {
    CALENDAR_SCOPE + ".readonly",
    CALENDAR_EVENTS_SCOPE + ".readonly",
}
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
DEFAULT_PAGE, MAX_PAGE = 250, 2500
BASE = "/calendar/v3/calendars/{calendar}/events"


def _now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _calendar(app: Any, request: Request, scopes: set[str]) -> dict[str, Any]:
    """The calendar the path names, for a user who may use it; else the error."""
    subject = authorized(app, request, scopes)
    calendar_id = request.params["calendar"].lower()
    state = app.state.google
    if calendar_id == "primary":
        calendar_id = subject
    calendar = state.calendars.get(calendar_id)
    if calendar is None or not (
        subject == calendar_id or (state.users.get(subject) and calendar_id in state.room_emails())
    ):
        raise HttpError(api_error(404, "notFound", "Not Found"))
    return calendar


def _when(value: Any) -> dt.datetime | None:
    """The instant of an EventDateTime (a date counts from its midnight UTC)."""
    if not isinstance(value, dict):
        return None
    try:
        if "dateTime" in value:
            moment = dt.datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        if "date" in value:
            return dt.datetime.fromisoformat(str(value["date"])).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return None


def _checked_times(body: dict[str, Any]) -> None:
    for name in ("start", "end"):
        if name not in body:
            raise HttpError(api_error(400, "required", f"Missing {name} time."))
        if _when(body[name]) is None:
            raise HttpError(api_error(400, "invalid", f"Invalid {name} time."))
    start, end = _when(body["start"]), _when(body["end"])
    if start and end and end < start:
        raise HttpError(api_error(400, "timeRangeEmpty", "The specified time range is empty."))


def _stored(app: Any, calendar: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """Keep the event as changed now: a new etag, `updated`, and its place in the change order
    that sync tokens count."""
    state = app.state.google
    event["etag"] = json.dumps(str(secrets.randbits(60)))
    event["updated"] = _now_rfc3339()
    calendar["events"][event["id"]] = event
    calendar["changed"][event["id"]] = state.next_change()
    return event


@router.route("POST", BASE)
def insert(app: Any, request: Request) -> Response:
    body = request.json(lambda m: api_error(400, "parseError", m))
    if not isinstance(body, dict):
        return api_error(400, "parseError", "This API does not support parsing form-encoded input.")
    with app.state.lock:
        calendar = _calendar(app, request, WRITE_SCOPES)
        event_id = body.get("id") or secrets.token_hex(13).translate(str.maketrans("wxyz", "0123"))
        if not isinstance(event_id, str) or not EVENT_ID.match(event_id):
            return api_error(400, "invalid", "Invalid resource id value.")
        if event_id in calendar["events"]:  # deleted ones too: an id is never used twice
            return api_error(409, "duplicate", "The requested identifier already exists.")
        _checked_times(body)
        event = {
            **body,
            "kind": "calendar#event",
            "id": event_id,
            "status": body.get("status", "confirmed"),
            "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
            "created": _now_rfc3339(),
            "sequence": 0,
            "organizer": {"email": calendar["id"], "self": True},
            "creator": {"email": authorized(app, request, WRITE_SCOPES)},
        }
        return Response.json(200, _stored(app, calendar, event))


def _event(calendar: dict[str, Any], request: Request) -> dict[str, Any]:
    event = calendar["events"].get(request.params["event"])
    if event is None:
        raise HttpError(api_error(404, "notFound", "Not Found"))
    return event


@router.route("GET", BASE + "/{event}")
def get(app: Any, request: Request) -> Response:
    with app.state.lock:
        calendar = _calendar(app, request, READ_SCOPES)
        return Response.json(200, _event(calendar, request))  # cancelled ones too


@router.route("PATCH", BASE + "/{event}")
def patch(app: Any, request: Request) -> Response:
    body = request.json(lambda m: api_error(400, "parseError", m))
    if not isinstance(body, dict):
        return api_error(400, "parseError", "The body must be a JSON object.")
    with app.state.lock:
        calendar = _calendar(app, request, WRITE_SCOPES)
        event = _event(calendar, request)
        # Fields given replace the stored ones (arrays whole); the rest stay.
        fields = {k: v for k, v in body.items() if k not in ("id", "kind", "etag", "iCalUID")}
        changed = {**event, **fields}
        _checked_times(changed)
        if any(name in fields for name in ("start", "end", "summary", "location", "status")):
            changed["sequence"] = int(event.get("sequence", 0)) + 1
        return Response.json(200, _stored(app, calendar, changed))


@router.route("DELETE", BASE + "/{event}")
def delete(app: Any, request: Request) -> Response:
    with app.state.lock:
        calendar = _calendar(app, request, WRITE_SCOPES)
        event = _event(calendar, request)
        if event.get("status") == "cancelled":
            return api_error(410, "deleted", "Resource has been deleted")
        _stored(app, calendar, {**event, "status": "cancelled"})
    return Response(204)


@router.route("GET", BASE)
def list_events(app: Any, request: Request) -> Response:
    query = request.query
    sync_token, page_token = query.get("syncToken", ""), query.get("pageToken", "")
    if sync_token:
        clashing = [name for name in NOT_WITH_SYNC_TOKEN if name in query]
        if clashing:
            return api_error(
                400,
                "invalid",
                f"Parameter {clashing[0]} cannot be used together with syncToken.",
            )
    try:
        size = int(query.get("maxResults", DEFAULT_PAGE))
    except ValueError:
        return api_error(400, "invalid", "Invalid value for maxResults.")
    size = max(1, min(size, MAX_PAGE))
    with app.state.lock:
        calendar = _calendar(app, request, READ_SCOPES)
        state = app.state.google
        since, offset, upto = 0, 0, state.changes
        if page_token:
            try:
                since, offset, upto = _decode(page_token)
            except ValueError:
                return api_error(400, "invalid", "Invalid page token value.")
        elif sync_token:
            try:
                since = _decode(sync_token)[0]
            except ValueError:
                return api_error(400, "invalid", "Invalid sync token value.")
        if since and since < calendar["sync_floor"]:
            return Response.json(
                410,
                {
                    "error": {
                        "errors": [
                            {
                                "domain": "calendar",
                                "reason": "fullSyncRequired",
                                "message": "Sync token is no longer valid, a full sync is "
                                "required.",
                                "locationType": "parameter",
                                "location": "syncToken",
                            }
                        ],
                        "code": 410,
                        "message": "Sync token is no longer valid, a full sync is required.",
                    }
                },
            )
        incremental = bool(since)
        show_deleted = incremental or query.get("showDeleted") == "true"
        chosen = [
            calendar["events"][event_id]
            for event_id, change in sorted(calendar["changed"].items(), key=lambda i: i[1])
            if since < change <= upto
        ]
        if not show_deleted:
            chosen = [e for e in chosen if e.get("status") != "cancelled"]
        chosen = [e for e in chosen if _in_window(e, query)]
        page = chosen[offset : offset + size]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": json.dumps(str(upto)),
            "summary": calendar["id"],
            "updated": _now_rfc3339(),
            "timeZone": calendar["time_zone"],
            "accessRole": "owner",
            "defaultReminders": [],
            "items": [_as_listed(e, incremental) for e in page],
        }
        if offset + size < len(chosen):
            body["nextPageToken"] = _encode(since, offset + size, upto)
        else:
            body["nextSyncToken"] = _encode(upto, 0, upto)
    return Response.json(200, body)


def _in_window(event: dict[str, Any], query: dict[str, str]) -> bool:
    """timeMax bounds the start (exclusive), timeMin the end (exclusive)."""
    start, end = _when(event.get("start")), _when(event.get("end"))
    low, high = (
        _when({"dateTime": query["timeMin"]}) if "timeMin" in query else None,
        (_when({"dateTime": query["timeMax"]}) if "timeMax" in query else None),
    )
    if event.get("status") == "cancelled":
        return True
    return not ((high and start and start >= high) or (low and end and end <= low))


def _as_listed(event: dict[str, Any], incremental: bool) -> dict[str, Any]:
    if event.get("status") == "cancelled" and incremental:
        # A deleted event is only guaranteed its id (and an instance its series' keys).
        keep = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
        return {k: v for k, v in event.items() if k in keep}
    return event


def _encode(since: int, offset: int, upto: int) -> str:
    raw = f"{since}:{offset}:{upto}:{secrets.token_hex(4)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[int, int, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        since, offset, upto, _ = raw.split(":")
        return int(since), int(offset), int(upto)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(token) from exc

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
import time
from email.message import Message
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
    if calendar is None or not _may_use(state, subject, calendar_id):
        raise HttpError(api_error(404, "notFound", "Not Found"))
    return calendar


def _may_use(state: Any, subject: str, calendar_id: str) -> bool:
    """A user's own calendar, and the rooms' for the domain's admins."""
    return subject == calendar_id or bool(
        state.users.get(subject) and calendar_id in state.room_emails()
    )


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
    _notify(app, calendar["id"], "exists")
    return event


@router.route("GET", "/calendar/v3/calendars/{calendar}")
def get_calendar(app: Any, request: Request) -> Response:
    """calendars.get: the calendar's metadata, for a user who may use it (404 otherwise)."""
    with app.state.lock:
        calendar = _calendar(app, request, READ_SCOPES)
        state = app.state.google
        names = {r["resourceEmail"].lower(): r["resourceName"] for r in state.resources.values()}
        return Response.json(
            200,
            {
                "kind": "calendar#calendar",
                "etag": json.dumps(str(state.changes)),
                "id": calendar["id"],
                "summary": names.get(calendar["id"], calendar["id"]),
                "timeZone": calendar["time_zone"],
            },
        )


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
        if body.get("recurrence"):
            _checked_recurrence(body)
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
        made = _stored(app, calendar, event)
        _invite(app, calendar, made, [])
        return Response.json(200, made)


def _event(calendar: dict[str, Any], request: Request) -> dict[str, Any]:
    """The event the path names: a stored one (an exception of a series too), or an
    instance of a recurring event by its id, `<series id>_<start, UTC, basic ISO>`."""
    event_id = request.params["event"]
    event = calendar["events"].get(event_id) or _instance_by_id(calendar, event_id)
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
        before = _invited(event)
        stored = _stored(app, calendar, changed)
        _invite(app, calendar, stored, before)
        return Response.json(200, stored)


@router.route("DELETE", BASE + "/{event}")
def delete(app: Any, request: Request) -> Response:
    with app.state.lock:
        calendar = _calendar(app, request, WRITE_SCOPES)
        event = _event(calendar, request)
        if event.get("status") == "cancelled":
            return api_error(410, "deleted", "Resource has been deleted")
        gone = _stored(app, calendar, {**event, "status": "cancelled"})
        _invite(app, calendar, gone, _invited(event))
    return Response(204)


def _invited(event: dict[str, Any]) -> list[str]:
    return [str(a.get("email") or "").lower() for a in event.get("attendees") or []]


def _invite(app: Any, calendar: dict[str, Any], event: dict[str, Any], before: list[str]) -> None:
    """The organizer's change reaches each invited calendar of the Workspace, as Google puts
    an invitation there: the same event (id, iCalUID), the attendee marked `self`. A room
    answers on its own, at each change: "Auto-accept invitations that do not conflict"
    (Google's default for Workspace rooms) declines a time the room already holds, and
    accepts otherwise; a room set to "Automatically add all invitations" accepts all. A
    person has not answered yet. A calendar no longer invited, or every one when the event
    is cancelled, has its copy cancelled. A copy's own changes stay in its calendar. An
    instance of a recurring event that the organizer moves or cancels becomes an exception
    in every copy."""
    if not (event.get("organizer") or {}).get("self"):
        return
    state = app.state.google
    cancelled = event.get("status") == "cancelled"
    now = set() if cancelled else set(_invited(event))
    for email in dict.fromkeys([*before, *_invited(event)]):
        target = state.calendars.get(email)
        if target is None or email == calendar["id"]:
            continue
        held = target["events"].get(event["id"])
        if email not in now:
            # An instance not stored there yet is one the rule makes: cancelled, it is stored.
            base = held if held is not None else event if event.get("recurringEventId") else None
            if base is not None and (held is None or held.get("status") != "cancelled"):
                organizer = {k: v for k, v in event["organizer"].items() if k != "self"}
                _stored(app, target, {**base, "organizer": organizer, "status": "cancelled"})
            continue
        attendees = []
        for attendee in event.get("attendees") or []:
            attendee = {k: v for k, v in attendee.items() if k != "self"}
            if str(attendee.get("email") or "").lower() == email:
                attendee["self"] = True
                if attendee.get("resource"):
                    busy = email not in state.accept_all and _holds_time(target, event)
                    attendee["responseStatus"] = "declined" if busy else "accepted"
                else:
                    previous = [a for a in (held or {}).get("attendees") or [] if a.get("self")]
                    attendee["responseStatus"] = (
                        previous[0].get("responseStatus") if previous else "needsAction"
                    )
            attendees.append(attendee)
        organizer = {k: v for k, v in event["organizer"].items() if k != "self"}
        _stored(app, target, {**event, "attendees": attendees, "organizer": organizer})


def _holds_time(calendar: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether another event of the calendar holds part of the event's time: not cancelled,
    not free (transparent), not declined there. (Recurring events are not weighed: a room's
    answer to a series, instance by instance, is not modelled.)"""
    start, end = _when(event.get("start")), _when(event.get("end"))
    if start is None or end is None or event.get("recurrence"):
        return False
    for other in calendar["events"].values():
        if (
            other["id"] == event["id"]
            or other.get("status") == "cancelled"
            or other.get("transparency") == "transparent"
            or other.get("recurrence")
            or any(
                a.get("self") and a.get("responseStatus") == "declined"
                for a in other.get("attendees") or []
            )
        ):
            continue
        begins, ends = _when(other.get("start")), _when(other.get("end"))
        if begins is not None and ends is not None and begins < end and ends > start:
            return True
    return False


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
        if query.get("singleEvents") == "true":
            chosen = _as_single_events(calendar, chosen, show_deleted, incremental)
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


def _as_single_events(
    calendar: dict[str, Any],
    chosen: list[dict[str, Any]],
    show_deleted: bool,
    incremental: bool = False,
) -> list[dict[str, Any]]:
    """singleEvents: recurring events give way to their instances (their exceptions in
    place; every instance cancelled with a cancelled series); the series themselves are not
    listed. On an incremental sync (Google's sync guide lists with singleEvents and a
    syncToken) a changed series lists all its instances, a changed exception itself."""
    singles: dict[str, dict[str, Any]] = {}
    for event in chosen:
        if event.get("recurringEventId"):
            if incremental:
                singles[event["id"]] = event
            continue  # a full listing: listed among its series' instances
        if not event.get("recurrence"):
            singles[event["id"]] = event
            continue
        for instance in _instances(calendar, event):
            if event.get("status") == "cancelled":
                instance = {**instance, "status": "cancelled"}
            if show_deleted or instance.get("status") != "cancelled":
                singles[instance["id"]] = instance
    return list(singles.values())


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


# --- free/busy ---------------------------------------------------------------------------------

MAX_FREEBUSY_CALENDARS = 50  # freeBusy.query: calendarExpansionMax, "Maximum value is 50"


@router.route("POST", "/calendar/v3/freeBusy")
def free_busy(app: Any, request: Request) -> Response:
    """Busy times of up to 50 calendars: confirmed and tentative events that are not
    "transparent" (shown as available), clipped to the range and merged where they touch. A
    calendar the user may not see, or that does not exist, has `errors: [notFound]` in the
    200 answer; more than 50 calendars is a 400 tooManyCalendarsRequested."""
    body = request.json(lambda m: api_error(400, "parseError", m))
    if not isinstance(body, dict):
        return api_error(400, "parseError", "The body must be a JSON object.")
    low, high = _when({"dateTime": body.get("timeMin")}), _when({"dateTime": body.get("timeMax")})
    if low is None or high is None:
        return api_error(400, "required", "Missing timeMin or timeMax.")
    if high <= low:
        return api_error(400, "timeRangeEmpty", "The specified time range is empty.")
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) and "id" in i for i in items):
        return api_error(400, "required", "Required parameter: items.")
    if len(items) > MAX_FREEBUSY_CALENDARS:
        return api_error(400, "tooManyCalendarsRequested", "Too many calendars requested.")
    calendars: dict[str, Any] = {}
    with app.state.lock:
        subject = authorized(app, request, READ_SCOPES)
        state = app.state.google
        for item in items:
            calendar_id = str(item["id"]).lower()
            calendar = state.calendars.get(calendar_id)
            if calendar is None or not _may_use(state, subject, calendar_id):
                calendars[item["id"]] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            calendars[item["id"]] = {"busy": _busy(calendar, low, high)}
    return Response.json(
        200,
        {
            "kind": "calendar#freeBusy",
            "timeMin": body["timeMin"],
            "timeMax": body["timeMax"],
            "calendars": calendars,
        },
    )


def _busy(calendar: dict[str, Any], low: dt.datetime, high: dt.datetime) -> list[dict[str, str]]:
    spans = []
    for event in calendar["events"].values():
        if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
            continue
        start, end = _when(event.get("start")), _when(event.get("end"))
        if start is None or end is None or end <= low or start >= high:
            continue
        spans.append((max(start, low), min(end, high)))
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [{"start": _rfc3339(start), "end": _rfc3339(end)} for start, end in merged]


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- push notifications ------------------------------------------------------------------------

DEFAULT_CHANNEL_TTL = 604800  # seconds: "Default is 604800 seconds" (a week)
CHANNEL_ID = re.compile(r"^[A-Za-z0-9\-_+/=]{1,64}$")


@router.route("POST", BASE + "/watch")
def watch(app: Any, request: Request) -> Response:
    """events.watch: a channel that POSTs, with no body, to `address` after every change of
    the calendar (`X-Goog-Resource-State: exists`, deletions too), and once when made
    (`sync`, message number 1, possibly before this answer). Channels do not renew: a new
    one, with a new id, replaces one before it expires. The address must be HTTPS; the
    sandbox lets loopback HTTP through, for a development server."""
    body = request.json(lambda m: api_error(400, "parseError", m))
    if not isinstance(body, dict):
        return api_error(400, "parseError", "The body must be a JSON object.")
    channel_id, address = str(body.get("id", "")), str(body.get("address", ""))
    if not CHANNEL_ID.match(channel_id):
        return api_error(400, "push.channelIdInvalid", f"Channel id {channel_id!r} is invalid.")
    if body.get("type") not in ("web_hook", "webhook"):
        return api_error(400, "invalid", "The channel type must be web_hook.")
    loopback = address.startswith(("http://127.0.0.1", "http://localhost"))
    if not (address.startswith("https://") or loopback):
        return api_error(
            400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}"
        )
    token = body.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > 256):
        return api_error(400, "invalid", "The channel token is at most 256 characters.")
    ttl = DEFAULT_CHANNEL_TTL
    try:
        ttl = int((body.get("params") or {}).get("ttl", ttl))
    except (TypeError, ValueError, AttributeError):
        return api_error(400, "invalid", "params.ttl is a number of seconds.")
    expiration = int(time.time() * 1000) + min(ttl, DEFAULT_CHANNEL_TTL) * 1000
    if isinstance(body.get("expiration"), int | str) and str(body["expiration"]).isdigit():
        expiration = min(expiration, int(body["expiration"]))
    with app.state.lock:
        calendar = _calendar(app, request, READ_SCOPES)
        state = app.state.google
        if channel_id in state.channels:
            return api_error(400, "channelIdNotUnique", f"Channel id {channel_id} not unique")
        channel = {
            "kind": "api#channel",
            "id": channel_id,
            "resourceId": secrets.token_urlsafe(20),
            "resourceUri": f"{app.origin(request)}/calendar/v3/calendars/{calendar['id']}/events",
            "expiration": expiration,
            **({"token": token} if token is not None else {}),
        }
        state.channels[channel_id] = {
            **channel,
            "calendar": calendar["id"],
            "address": address,
            "message_number": 1,
        }
        _deliver(app, state.channels[channel_id], "sync")
    return Response.json(200, {**channel, "expiration": str(expiration)})


@router.route("POST", "/calendar/v3/channels/stop")
def stop(app: Any, request: Request) -> Response:
    body = request.json(lambda m: api_error(400, "parseError", m))
    if not isinstance(body, dict):
        return api_error(400, "parseError", "The body must be a JSON object.")
    authorized(app, request, READ_SCOPES | {CALENDAR_SCOPE + ".settings.readonly"})
    with app.state.lock:
        channel = app.state.google.channels.get(str(body.get("id", "")))
        if channel is None or channel["resourceId"] != body.get("resourceId"):
            return api_error(404, "notFound", f"Channel '{body.get('id')}' not found for project")
        del app.state.google.channels[channel["id"]]
    return Response(204)


def _notify(app: Any, calendar_id: str, state_name: str) -> None:
    """A change of the calendar, to each of its live channels (the lock is held)."""
    now_ms = time.time() * 1000
    for channel in list(app.state.google.channels.values()):
        if channel["calendar"] != calendar_id:
            continue
        if channel["expiration"] < now_ms:
            del app.state.google.channels[channel["id"]]  # expired: it says nothing more
            continue
        # Message numbers grow, but not one by one.
        channel["message_number"] += 1 + secrets.randbelow(3)
        _deliver(app, channel, state_name)


def _deliver(app: Any, channel: dict[str, Any], state_name: str) -> None:
    expires = dt.datetime.fromtimestamp(channel["expiration"] / 1000, dt.UTC)
    headers = {
        "X-Goog-Channel-ID": channel["id"],
        "X-Goog-Message-Number": str(channel["message_number"]),
        "X-Goog-Resource-ID": channel["resourceId"],
        "X-Goog-Resource-State": state_name,
        "X-Goog-Resource-URI": channel["resourceUri"],
        "X-Goog-Channel-Expiration": expires.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "User-Agent": "APIs-Google",
        **({"X-Goog-Channel-Token": channel["token"]} if "token" in channel else {}),
    }
    app.notifier.send(channel["address"], None, headers)


# --- batch -------------------------------------------------------------------------------------

MAX_BATCH_CALLS = 1000  # "You're limited to 1000 calls in a single batch request."
HTTP_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@router.route("POST", "/batch/calendar/v3")
def batch(app: Any, request: Request) -> Response:
    """Google's batch: a multipart/mixed body of `application/http` parts, each a whole
    request with its path (`POST /calendar/v3/calendars/…/events`), run one by one (each
    counts as a call of its own) and answered in one multipart/mixed body, part for part in
    order, each with `Content-ID: <response-…>` echoing the request part's."""
    content_type = request.header("Content-Type")
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/mixed") or boundary is None:
        return api_error(400, "invalid", "A batch request is multipart/mixed, with a boundary.")
    parts = _parts(request.body, boundary.group(1))
    if not parts:
        return api_error(400, "invalid", "The batch holds no request.")
    if len(parts) > MAX_BATCH_CALLS:
        return api_error(400, "invalid", "Exceeded the maximum calls(1000) in a single batch.")
    answers = []
    for part_headers, http_request in parts:
        inner = _inner_request(request, http_request)
        if inner is None:
            answer = api_error(400, "invalid", "A batched part is not an HTTP request.")
        else:
            handled = app.handle(inner, inner=True)
            answer = (
                handled
                if isinstance(handled, Response)
                else api_error(503, "backendError", "Backend Error")
            )
        answers.append((part_headers.get("content-id", ""), answer))
    out_boundary = "batch_" + secrets.token_hex(12)
    return Response(
        200,
        _multipart(out_boundary, answers),
        {"Content-Type": f"multipart/mixed; boundary={out_boundary}"},
    )


def _parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """Each part's headers (lower-case names) and its content (an HTTP request)."""
    parts = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        chunk = chunk.strip(b"\r\n")
        head, _, content = chunk.replace(b"\r\n", b"\n").partition(b"\n\n")
        headers = {}
        for line in head.decode("utf-8", "replace").splitlines():
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts


def _inner_request(outer: Request, http_request: bytes) -> Request | None:
    head, _, body = http_request.partition(b"\n\n")
    lines = head.decode("utf-8", "replace").splitlines()
    if not lines or len(lines[0].split()) < 2:
        return None
    method, target = lines[0].split()[:2]
    headers = Message()
    headers["Authorization"] = outer.header("Authorization")  # the outer headers apply
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip():
            del headers[name.strip()]
            headers[name.strip()] = value.strip()
    return Request.from_target(method, target, headers, body.strip())


def _multipart(boundary: str, answers: list[tuple[str, Response]]) -> bytes:
    out = []
    for content_id, answer in answers:
        reason = HTTP_REASONS.get(answer.status, "")
        inner = [f"HTTP/1.1 {answer.status} {reason}".rstrip()]
        inner += [f"{k}: {v}" for k, v in answer.headers.items()]
        response_id = "<response-" + content_id.strip("<>") + ">" if content_id else ""
        part = [f"--{boundary}", "Content-Type: application/http"]
        if response_id:
            part.append(f"Content-ID: {response_id}")
        out.append(
            "\r\n".join(part).encode()
            + b"\r\n\r\n"
            + "\r\n".join(inner).encode()
            + b"\r\n\r\n"
            + answer.body
            + b"\r\n"
        )
    return b"".join(out) + f"--{boundary}--\r\n".encode()


# --- recurring events ------------------------------------------------------------------------

INSTANCE_ID = re.compile(r"^(?P<series>[a-v0-9]{5,1024})_(?P<start>\d{8}T\d{6}Z)$")
MAX_INSTANCES = 730  # how far a series is expanded (two years of days)


def _checked_recurrence(body: dict[str, Any]) -> None:
    """A recurring event needs its start's time zone (the one its rule is expanded in) and
    RFC 5545 lines Google takes: RRULE, EXRULE, RDATE, EXDATE (no DTSTART)."""
    start = body["start"]
    if "dateTime" in start and not start.get("timeZone"):
        raise HttpError(api_error(400, "required", "Missing time zone definition for start time."))
    lines = body["recurrence"]
    if not isinstance(lines, list) or not all(
        isinstance(line, str)
        and line.split(":")[0].split(";")[0] in ("RRULE", "EXRULE", "RDATE", "EXDATE")
        for line in lines
    ):
        raise HttpError(api_error(400, "invalid", "Invalid recurrence rule."))
    try:
        _occurrences(body, limit=1)
    except (ValueError, TypeError, KeyError):
        raise HttpError(api_error(400, "invalid", "Invalid recurrence rule.")) from None


def _occurrences(series: dict[str, Any], limit: int = MAX_INSTANCES) -> list[dt.datetime]:
    """The starts of a recurring event, in its start's time zone (dates at midnight)."""
    from zoneinfo import ZoneInfo

    from dateutil import rrule

    start = series["start"]
    if "dateTime" in start:
        zone = ZoneInfo(start.get("timeZone") or "UTC")
        first = dt.datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))
        first = first.astimezone(zone) if first.tzinfo else first.replace(tzinfo=zone)
    else:
        first = dt.datetime.fromisoformat(start["date"]).replace(tzinfo=dt.UTC)
    rules = rrule.rrulestr("\n".join(series["recurrence"]), dtstart=first, forceset=True)
    found = []
    for moment in rules:
        found.append(moment)
        if len(found) >= limit:
            break
    return found


def _instances(calendar: dict[str, Any], series: dict[str, Any]) -> list[dict[str, Any]]:
    """Each instance of the series: its exception where one is stored, else as the rule
    makes it (id, recurringEventId, originalStartTime, the series' fields)."""
    made = []
    duration = _when(series["end"]) - _when(series["start"])  # type: ignore[operator]
    for moment in _occurrences(series):
        instance_id = f"{series['id']}_{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
        stored = calendar["events"].get(instance_id)
        if stored is not None:
            made.append(stored)
            continue
        if "date" in series["start"]:
            when = {"date": moment.date().isoformat()}
            until = {"date": (moment + duration).date().isoformat()}
        else:
            zone = series["start"].get("timeZone")
            when = {"dateTime": moment.isoformat(), "timeZone": zone}
            until = {"dateTime": (moment + duration).isoformat(), "timeZone": zone}
        fields = {k: v for k, v in series.items() if k not in ("recurrence", "id", "etag")}
        made.append(
            {
                **fields,
                "id": instance_id,
                "etag": series.get("etag"),
                "start": when,
                "end": until,
                "recurringEventId": series["id"],
                "originalStartTime": when,
            }
        )
    return made


def _instance_by_id(calendar: dict[str, Any], event_id: str) -> dict[str, Any] | None:
    match = INSTANCE_ID.match(event_id)
    series = calendar["events"].get(match.group("series")) if match else None
    if series is None or not series.get("recurrence") or series.get("status") == "cancelled":
        return None
    return next((i for i in _instances(calendar, series) if i["id"] == event_id), None)


@router.route("GET", BASE + "/{event}/instances")
def instances(app: Any, request: Request) -> Response:
    """events.instances: the series' instances in order, exceptions in their place;
    cancelled ones only with showDeleted."""
    with app.state.lock:
        calendar = _calendar(app, request, READ_SCOPES)
        series = _event(calendar, request)
        if not series.get("recurrence"):
            return api_error(400, "invalid", "The event is not a recurring event.")
        made = _instances(calendar, series)
    if request.query.get("showDeleted") != "true":
        made = [i for i in made if i.get("status") != "cancelled"]
    made = [i for i in made if _in_window(i, request.query)]
    return Response.json(
        200,
        {"kind": "calendar#events", "items": made[: int(request.query.get("maxResults", 250))]},
    )

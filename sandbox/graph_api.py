"""Microsoft Graph stand-in: users, calendars, events, calendarView and its delta, places."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from sandbox import zones
from sandbox.calendar import (
    InvalidEvent,
    UnsupportedTimeZone,
    master_to_graph,
    parse_graph_time,
    removed_entry,
)
from sandbox.state import DeltaToken, Mailbox, Token, now
from sandbox.web import HttpError, Request, Response, Router

router = Router()
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000


def graph_error(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Graph's error body, carrying the request's request-id."""
    return Response.json(
        status,
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "request-id": request.request_id,
                    "client-request-id": request.header("client-request-id") or request.request_id,
                    "date": now().strftime("%Y-%m-%dT%H:%M:%S"),
                },
            }
        },
        headers,
    )


def fail(request: Request, status: int, code: str, message: str) -> HttpError:
    return HttpError(graph_error(request, status, code, message))


def authorize(app: Any, request: Request, permission: str) -> Token:
    """The caller's token; 401 without a valid one, 403 without the permission."""
    header = request.header("Authorization")
    if not header.startswith("Bearer "):
        raise fail(request, 401, "InvalidAuthenticationToken", "Access token is empty.")
    token = app.state.tokens.get(header.removeprefix("Bearer ").strip())
    if token is None:
        raise fail(
            request,
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        )
    if token.expires_at <= now():
        raise fail(
            request,
            401,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
        )
    registration = app.state.apps.get((token.tenant, token.client_id))
    granted = registration.permissions if registration else set()
    needed = {
        permission,
        permission.replace(".Read.", ".ReadWrite."),
        permission.replace(".Read", ".ReadWrite"),
    }
    if not granted & needed:
        if permission.startswith("User."):
            raise fail(
                request,
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        raise fail(
            request, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )
    return token


def mailbox_of(app: Any, request: Request, token: Token) -> Mailbox:
    user = request.params["user"]
    mailbox = app.state.find_mailbox(token.tenant, user)
    if mailbox is None:
        raise fail(request, 404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
    return mailbox


def calendar_id_of(request: Request, mailbox: Mailbox) -> str:
    calendar_id = request.params.get("calendar")
    if calendar_id is None:
        return mailbox.default_calendar.id
    if calendar_id not in mailbox.calendars:
        raise fail(
            request, 404, "ErrorItemNotFound", "The specified object was not found in the store."
        )
    return calendar_id


def body_of(request: Request) -> dict[str, Any]:
    data = request.json(lambda msg: graph_error(request, 400, "BadRequest", msg))
    if not isinstance(data, dict):
        raise fail(request, 400, "BadRequest", "The request body must be a JSON object.")
    return data


def window(request: Request) -> tuple[dt.datetime, dt.datetime]:
    values = []
    for name in ("startDateTime", "endDateTime"):
        if not request.query.get(name):
            raise fail(
                request,
                400,
                "ErrorInvalidParameter",
                "This request requires a time window specified by the query string "
                "parameters StartDateTime and EndDateTime.",
            )
        try:
            moment = dt.datetime.fromisoformat(request.query[name].replace("Z", "+00:00"))
        except ValueError:
            raise fail(
                request,
                400,
                "ErrorInvalidParameter",
                f"The value of {name} is not a valid date and time.",
            ) from None
        values.append(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    return values[0], values[1]


def event_error(request: Request, exc: InvalidEvent | UnsupportedTimeZone) -> HttpError:
    """Graph's answer to an event body it refuses."""
    if isinstance(exc, UnsupportedTimeZone):
        return fail(request, 400, "TimeZoneNotSupportedException", str(exc))
    return fail(request, 400, "ErrorInvalidRequest", str(exc))


PREFERRED_ZONE = re.compile(r'outlook\.timezone\s*=\s*"([^"]*)"', re.IGNORECASE)


def output_zone(request: Request) -> str:
    """The zone times are shown in: Prefer: outlook.timezone="…", else UTC."""
    found = PREFERRED_ZONE.search(request.header("Prefer"))
    if found and zones.supported(found.group(1)):
        return found.group(1)
    return "UTC"


def page_size(request: Request) -> int:
    found = re.search(r"odata\.maxpagesize=(\d+)", request.header("Prefer"))
    return min(MAX_PAGE_SIZE, int(found.group(1))) if found else DEFAULT_PAGE_SIZE


# --- users and calendars ------------------------------------------------------------------


def for_each_version(method: str, pattern: str):  # type: ignore[no-untyped-def]
    def register(handler):  # type: ignore[no-untyped-def]
        for version in ("v1.0", "beta"):
            router.route(method, f"/{version}{pattern}")(handler)
        return handler

    return register


def user_json(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "id": mailbox.id,
        "displayName": mailbox.display_name,
        "mail": mailbox.address,
        "userPrincipalName": mailbox.address,
    }


@for_each_version("GET", "/users")
def list_users(app: Any, request: Request) -> Response:
    with app.state.lock:
        token = authorize(app, request, "User.Read.All")
        users = [m for m in app.state.mailboxes.values() if m.tenant == token.tenant]
        top = int(request.query.get("$top") or 100)
        return Response.json(200, {"value": [user_json(m) for m in users[:top]]})


@for_each_version("GET", "/users/{user}")
def get_user(app: Any, request: Request) -> Response:
    with app.state.lock:
        token = authorize(app, request, "User.Read.All")
        mailbox = app.state.find_mailbox(token.tenant, request.params["user"])
        if mailbox is None:
            raise fail(
                request,
                404,
                "Request_ResourceNotFound",
                f"Resource '{request.params['user']}' does not exist or one of its "
                "queried reference-property objects are not present.",
            )
        return Response.json(200, user_json(mailbox))


def calendar_json(calendar: Any, mailbox: Mailbox) -> dict[str, Any]:
    return {
        "id": calendar.id,
        "name": calendar.name,
        "isDefaultCalendar": calendar.is_default,
        "canEdit": True,
        "owner": {"name": mailbox.display_name, "address": mailbox.address},
    }


@for_each_version("GET", "/users/{user}/calendars")
def list_calendars(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.Read"))
        calendars = list(mailbox.calendars.values())
        wanted = request.query.get("$filter", "")
        if wanted:
            found = re.fullmatch(r"\s*name\s+eq\s+'((?:[^']|'')*)'\s*", wanted)
            if not found:
                raise fail(
                    request,
                    400,
                    "ErrorInvalidUrlQueryFilter",
                    f"The filter expression is not supported: {wanted}",
                )
            name = found.group(1).replace("''", "'")
            calendars = [c for c in calendars if c.name.lower() == name.lower()]
        return Response.json(200, {"value": [calendar_json(c, mailbox) for c in calendars]})


@for_each_version("GET", "/users/{user}/calendar")
def default_calendar(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.Read"))
        return Response.json(200, calendar_json(mailbox.default_calendar, mailbox))


@for_each_version("GET", "/users/{user}/calendars/{calendar}")
def get_calendar(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.Read"))
        return Response.json(
            200, calendar_json(mailbox.calendars[calendar_id_of(request, mailbox)], mailbox)
        )


# --- events -------------------------------------------------------------------------------


@for_each_version("POST", "/users/{user}/events")
@for_each_version("POST", "/users/{user}/calendar/events")
@for_each_version("POST", "/users/{user}/calendars/{calendar}/events")
def create_event(app: Any, request: Request) -> Response:
    body = body_of(request)
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.ReadWrite"))
        calendar_id = calendar_id_of(request, mailbox)
        try:
            event, _ = app.state.create_event(mailbox, calendar_id, body, None)
        except (InvalidEvent, UnsupportedTimeZone) as exc:
            raise event_error(request, exc) from None
        # A repeated transactionId answers with the event made the first time.
        return Response.json(201, master_to_graph(event, output_zone(request)))


def find_event(app: Any, request: Request, mailbox: Mailbox):  # type: ignore[no-untyped-def]
    found = app.state.find_event(mailbox, request.params["event"])
    if found is None:
        raise fail(
            request, 404, "ErrorItemNotFound", "The specified object was not found in the store."
        )
    return found


@for_each_version("GET", "/users/{user}/events/{event}")
def get_event(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.Read"))
        event, key = find_event(app, request, mailbox)
        if key is None:
            return Response.json(200, master_to_graph(event, output_zone(request)))
        instance = next(i for i in event.instances() if i.key == key)
        return Response.json(200, instance.to_graph(output_zone(request)))


@for_each_version("PATCH", "/users/{user}/events/{event}")
def update_event(app: Any, request: Request) -> Response:
    body = body_of(request)
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.ReadWrite"))
        event, key = find_event(app, request, mailbox)
        try:
            app.state.update_event(mailbox, event, key, body)
        except (InvalidEvent, UnsupportedTimeZone) as exc:
            raise event_error(request, exc) from None
        zone_name = output_zone(request)
        if key is None:
            return Response.json(200, master_to_graph(event, zone_name))
        instance = next(i for i in event.instances() if i.key == key)
        return Response.json(200, instance.to_graph(zone_name))


@for_each_version("DELETE", "/users/{user}/events/{event}")
def delete_event(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.ReadWrite"))
        event, key = find_event(app, request, mailbox)
        app.state.delete_event(mailbox, event, key)
    return Response(204)


@for_each_version("POST", "/users/{user}/events/{event}/cancel")
def cancel_event(app: Any, request: Request) -> Response:
    """The organizer cancels: attendees are told and the event leaves the calendar."""
    body_of(request)
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.ReadWrite"))
        event, key = find_event(app, request, mailbox)
        organizer = (event.fields.get("organizer") or {}).get("emailAddress", {})
        if organizer.get("address", mailbox.address).lower() != mailbox.address:
            raise fail(
                request,
                400,
                "ErrorAccessDenied",
                "Your request can't be completed. You need to be an organizer to cancel a meeting.",
            )
        app.state.delete_event(mailbox, event, key)
    return Response(202)


# --- attendee responses ---------------------------------------------------------------


def _response_options(request: Request, body: dict[str, Any], event: Any) -> bool:
    """sendResponse (default true), checked against proposedNewTime as event-decline.md
    says: 400 when the event allows no new times or no response is sent."""
    send = body.get("sendResponse", True)
    if not isinstance(send, bool):
        raise fail(request, 400, "BadRequest", "sendResponse must be true or false.")
    if body.get("proposedNewTime") is not None:
        if not event.fields.get("allowNewTimeProposals", True):
            raise fail(
                request,
                400,
                "ErrorInvalidRequest",
                "The organizer of this meeting doesn't allow new time proposals.",
            )
        if not send:
            raise fail(
                request,
                400,
                "ErrorInvalidRequest",
                "A proposed new time needs sendResponse set to true.",
            )
    return send


def _attendees_copy(app: Any, request: Request, response: str):  # type: ignore[no-untyped-def]
    """The attendee's copy of a meeting the request responds to, and the options."""
    body = body_of(request)
    mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.ReadWrite"))
    event, key = find_event(app, request, mailbox)
    if event.copy_of is None:  # the organizer's own event, or no meeting at all
        raise fail(
            request,
            400,
            "ErrorInvalidRequest",
            f"Your request can't be completed. You can't {response} a meeting you organized.",
        )
    return mailbox, event, key, _response_options(request, body, event)


@for_each_version("POST", "/users/{user}/events/{event}/decline")
@for_each_version("POST", "/users/{user}/calendar/events/{event}/decline")
@for_each_version("POST", "/users/{user}/calendars/{calendar}/events/{event}/decline")
def decline_event(app: Any, request: Request) -> Response:
    """The attendee declines: the meeting leaves their calendar; the organizer's event shows
    the attendee's response as declined (unless sendResponse is false)."""
    with app.state.lock:
        mailbox, event, key, send = _attendees_copy(app, request, "decline")
        app.state.decline(mailbox, event, key, send)
    return Response(202)


@for_each_version("POST", "/users/{user}/events/{event}/accept")
@for_each_version("POST", "/users/{user}/events/{event}/tentativelyAccept")
def accept_event(app: Any, request: Request) -> Response:
    tentative = request.path.endswith("/tentativelyAccept")
    with app.state.lock:
        mailbox, event, _, send = _attendees_copy(app, request, "accept")
        response = "tentativelyAccepted" if tentative else "accepted"
        app.state.accept(mailbox, event, response, send)
    return Response(202)


@for_each_version("GET", "/users/{user}/events/{event}/instances")
def event_instances(app: Any, request: Request) -> Response:
    start, end = window(request)
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.Read"))
        event, _ = find_event(app, request, mailbox)
        zone_name = output_zone(request)
        found = [i.to_graph(zone_name) for i in event.instances() if i.overlaps(start, end)]
    return paged(app, request, found)


def paged(app: Any, request: Request, items: list[dict[str, Any]]) -> Response:
    """A collection page: $top items (default 10, as Graph's calendar collections) from $skip
    on, with an @odata.nextLink while more remain."""
    try:
        top = min(MAX_PAGE_SIZE, int(request.query.get("$top") or DEFAULT_PAGE_SIZE))
        skip = int(request.query.get("$skip") or 0)
    except ValueError:
        raise fail(request, 400, "BadRequest", "$top and $skip must be numbers.") from None
    body: dict[str, Any] = {"value": items[skip : skip + top]}
    if skip + top < len(items):
        query = urlencode({**request.query, "$top": top, "$skip": skip + top})
        body["@odata.nextLink"] = f"{app.origin(request)}{request.path}?{query}"
    return Response.json(200, body)


@for_each_version("GET", "/users/{user}/calendarView")
@for_each_version("GET", "/users/{user}/calendars/{calendar}/calendarView")
def calendar_view(app: Any, request: Request) -> Response:
    start, end = window(request)
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.Read"))
        calendar_id = calendar_id_of(request, mailbox)
        found = sorted(
            (
                i
                for e in mailbox.events.values()
                if e.calendar_id == calendar_id
                for i in e.instances()
                if i.overlaps(start, end)
            ),
            key=lambda i: i.begins,
        )
        zone_name = output_zone(request)
        return paged(app, request, [i.to_graph(zone_name) for i in found])


# --- delta --------------------------------------------------------------------------------


def delta_items(mailbox: Mailbox, token: DeltaToken, zone_name: str) -> list[dict[str, Any]]:
    """What changed since the token's sequence number. event-delta.md: events outside the
    window that were added, updated or deleted since are listed under @removed too."""
    items: dict[str, dict[str, Any]] = {}
    for event in mailbox.events.values():
        if event.calendar_id != token.calendar_id:
            continue
        if event.deleted and event.seq > token.seq:
            removed = (
                [event.id]
                if not event.is_series
                else [
                    event.occurrence_id(event.occurrence_key(s)) for s in event.occurrence_starts()
                ]
            )
            items.update({i: removed_entry(i) for i in removed})
            continue
        for key, seq in [*event.cancelled.items(), *getattr(event, "vanished", {}).items()]:
            if seq > token.seq:  # an occurrence there again is listed below, over this
                items[event.occurrence_id(key)] = removed_entry(event.occurrence_id(key))
        for instance in event.instances():
            if instance.seq > token.seq:
                items[instance.id] = (
                    instance.to_graph(zone_name)
                    if instance.overlaps(token.start, token.end)
                    else instance.removed()
                )
    return list(items.values())


def delta_page(app: Any, request: Request, items: list[dict[str, Any]], token_id: str) -> Response:
    size = page_size(request)
    page, rest = items[:size], items[size:]
    link = f"{app.origin(request)}{request.path}"
    body: dict[str, Any] = {"value": page}
    if rest:
        skip = secrets.token_urlsafe(16)
        app.state.delta_pages[skip] = (rest, token_id)
        body["@odata.nextLink"] = f"{link}?$skiptoken={skip}"
    else:
        body["@odata.deltaLink"] = f"{link}?$deltatoken={token_id}"
    return Response.json(200, body)


def sync_state_not_found(request: Request) -> HttpError:
    return fail(
        request,
        410,
        "SyncStateNotFound",
        "The sync state generation is not found. Restart the sync from the beginning.",
    )


@for_each_version("GET", "/users/{user}/calendarView/delta")
@router.route("GET", "/beta/users/{user}/calendars/{calendar}/calendarView/delta")
def calendar_view_delta(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request, authorize(app, request, "Calendars.Read"))
        calendar_id = calendar_id_of(request, mailbox)
        state = app.state
        if "$skiptoken" in request.query:
            pending = state.delta_pages.pop(request.query["$skiptoken"], None)
            if pending is None or state.delta_tokens[pending[1]].expired:
                raise sync_state_not_found(request)
            return delta_page(app, request, *pending)
        if "$deltatoken" in request.query:
            previous = state.delta_tokens.get(request.query["$deltatoken"])
            if previous is None or previous.expired or previous.mailbox != mailbox.address:
                raise sync_state_not_found(request)
            start, end = previous.start, previous.end
            items = delta_items(mailbox, previous, output_zone(request))
        else:
            start, end = window(request)
            instances = sorted(
                (
                    i
                    for e in mailbox.events.values()
                    if e.calendar_id == calendar_id
                    for i in e.instances()
                    if i.overlaps(start, end)
                ),
                key=lambda i: i.begins,
            )
            items = [i.to_graph(output_zone(request)) for i in instances]
        token_id = secrets.token_urlsafe(24)
        state.delta_tokens[token_id] = DeltaToken(
            mailbox.address, calendar_id, start, end, state.seq
        )
        return delta_page(app, request, items, token_id)


# --- free/busy: getSchedule ----------------------------------------------------------------

# outlook-get-free-busy-schedule.md, "Limits and error conditions": up to 20 entities at
# once, and a period of less than 62 days.
MAX_SCHEDULES = 20
MAX_SCHEDULE_PERIOD = dt.timedelta(days=62)
# availabilityView's digits (scheduleinformation.md), and which one wins where items overlap.
VIEW_DIGITS = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}
VIEW_RANK = ["free", "workingElsewhere", "tentative", "busy", "oof"]


def _parameter(body: dict[str, Any], name: str) -> Any:
    """A body parameter, whatever its case: the concept page's own example sends
    "Schedules", "StartTime" and "EndTime"."""
    return next((v for k, v in body.items() if k.lower() == name.lower()), None)


def schedule_query(
    request: Request, body: dict[str, Any]
) -> tuple[list[str], dt.datetime, dt.datetime, int]:
    """(addresses, start, end, interval) of a getSchedule body, or a 400."""
    addresses = _parameter(body, "schedules")
    if not isinstance(addresses, list) or not addresses:
        raise fail(request, 400, "ErrorInvalidParameter", "schedules must list addresses.")
    if len(addresses) > MAX_SCHEDULES:
        raise fail(
            request,
            400,
            "ErrorMailboxDataArrayTooBig",
            "There are too many target users in the EmailAddress array. The allowed size = "
            f"{MAX_SCHEDULES}; the actual size = {len(addresses)}.",
        )
    try:
        start = parse_graph_time(_parameter(body, "startTime"), "startTime")
        end = parse_graph_time(_parameter(body, "endTime"), "endTime")
    except (InvalidEvent, UnsupportedTimeZone) as exc:
        raise event_error(request, exc) from None
    if end <= start or end - start >= MAX_SCHEDULE_PERIOD:
        raise fail(
            request,
            400,
            "ErrorInvalidTimeInterval",
            "The time period must end after it starts and be less than 62 days long.",
        )
    return [str(a) for a in addresses], start, end, _interval(request, body)


def _interval(request: Request, body: dict[str, Any]) -> int:
    value = _parameter(body, "availabilityViewInterval")
    if value is None:
        return 30
    try:
        minutes = int(value)  # the concept page sends it as a string, "15"
    except (TypeError, ValueError):
        minutes = 0
    if not 5 <= minutes <= 1440:
        raise fail(
            request,
            400,
            "ErrorInvalidParameter",
            "availabilityViewInterval must be from 5 to 1440 minutes.",
        )
    return minutes


def schedule_item(instance: Any, zone_name: str) -> dict[str, Any]:
    """scheduleitem.md; a private event shows no subject or location
    (outlook-get-free-busy-schedule.md, "Event data returned")."""
    fields = instance.fields
    data = instance.to_graph(zone_name)
    item: dict[str, Any] = {
        "isPrivate": fields.get("sensitivity") in ("private", "confidential"),
        "status": instance.free_busy,
        "start": data["start"],
        "end": data["end"],
    }
    if not item["isPrivate"]:
        item["subject"] = data["subject"]
        item["location"] = (data["location"] or {}).get("displayName", "")
    return item


def availability_view(
    instances: list[Any], start: dt.datetime, end: dt.datetime, minutes: int
) -> str:
    """One digit per slot of `minutes`: the busiest status among the items in it."""
    digits, slot = [], dt.timedelta(minutes=minutes)
    moment = start
    while moment < end:
        found = [i.free_busy for i in instances if i.overlaps(moment, moment + slot)]
        ranked = [s for s in VIEW_RANK if s in found]
        digits.append(VIEW_DIGITS[ranked[-1]] if ranked else "0")
        moment += slot
    return "".join(digits)


def schedule_information(
    app: Any, tenant: str, address: str, query: tuple[Any, ...], zone_name: str
) -> dict[str, Any]:
    """scheduleinformation.md: the items of the default calendar overlapping the period
    (cancelled ones left out), or an error entry for an address it cannot resolve."""
    _, start, end, minutes = query
    mailbox = app.state.find_mailbox(tenant, address)
    if mailbox is None or "@" not in address:
        # microsoft-graph-docs#11225: 200, and this entry for the address.
        return {
            "scheduleId": address,
            "error": {
                "message": f"Unable to resolve e-mail address {address} to an Active "
                "Directory object.",
                "responseCode": "5009",
            },
        }
    calendar_id = mailbox.default_calendar.id
    found = sorted(
        (
            i
            for e in mailbox.events.values()
            if e.calendar_id == calendar_id
            for i in e.instances()
            if i.overlaps(start, end) and not i.fields.get("isCancelled")
        ),
        key=lambda i: i.begins,
    )
    return {
        "scheduleId": address,
        "availabilityView": availability_view(found, start, end, minutes),
        "scheduleItems": [schedule_item(i, zone_name) for i in found],
    }


@for_each_version("POST", "/users/{user}/calendar/getSchedule")
def get_schedule(app: Any, request: Request) -> Response:
    body = body_of(request)
    with app.state.lock:
        token = authorize(app, request, "Calendars.Read")
        mailbox_of(app, request, token)
        query = schedule_query(request, body)
        zone_name = output_zone(request)
        value = [schedule_information(app, token.tenant, a, query, zone_name) for a in query[0]]
    return Response.json(
        200,
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata"
            "#Collection(microsoft.graph.scheduleInformation)",
            "value": value,
        },
    )


# --- places -------------------------------------------------------------------------------


def room_json(room: Any) -> dict[str, Any]:
    return {
        "id": room.id,
        "emailAddress": room.address,
        "displayName": room.display_name,
        "capacity": room.capacity,
        "building": room.building,
        "bookingType": "standard",
        "isWheelChairAccessible": False,
    }


@for_each_version("GET", "/places/microsoft.graph.roomlist")
def room_lists(app: Any, request: Request) -> Response:
    with app.state.lock:
        authorize(app, request, "Place.Read.All")
        return Response.json(
            200,
            {
                "value": [
                    {"id": r.id, "emailAddress": r.address, "displayName": r.display_name}
                    for r in app.state.room_lists.values()
                ]
            },
        )


@for_each_version("GET", "/places/{room_list}/microsoft.graph.roomlist/rooms")
def rooms_of_list(app: Any, request: Request) -> Response:
    with app.state.lock:
        authorize(app, request, "Place.Read.All")
        wanted = request.params["room_list"].lower()
        room_list = next(
            (r for r in app.state.room_lists.values() if wanted in (r.address, r.id.lower())), None
        )
        if room_list is None:
            raise fail(request, 404, "ErrorItemNotFound", f"Room list '{wanted}' not found.")
        rooms = [room_json(r) for r in app.state.rooms.values() if r.room_list == room_list.address]
        return Response.json(200, {"value": rooms})


@for_each_version("GET", "/places/microsoft.graph.room")
def all_rooms(app: Any, request: Request) -> Response:
    with app.state.lock:
        authorize(app, request, "Place.Read.All")
        return Response.json(200, {"value": [room_json(r) for r in app.state.rooms.values()]})

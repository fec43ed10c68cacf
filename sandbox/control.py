"""The sandbox's control API under /_sandbox/: seed data, act as an Outlook user, inject
faults, read the request log. Used by tests, benchmarks and `make run`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.calendar import InvalidEvent, UnsupportedTimeZone, master_to_graph
from sandbox.state import PROCESSING_MODES, Mailbox, Room, RoomList, now
from sandbox.subscriptions import change_notification, send_lifecycle, subscription_json
from sandbox.web import HttpError, Request, Response, Router

router = Router()
FAULT_KINDS = {"status", "delay", "drop", "drop_after_write"}
LIFECYCLE_EVENTS = {"reauthorizationRequired", "subscriptionRemoved", "missed"}


def bad(message: str, status: int = 400) -> HttpError:
    return HttpError(Response.json(status, {"error": message}))


def body_of(request: Request) -> dict[str, Any]:
    data = request.json(lambda m: Response.json(400, {"error": m}))
    if not isinstance(data, dict):
        raise bad("The body must be a JSON object.")
    return data


def mailbox_of(app: Any, request: Request) -> Mailbox:
    mailbox = app.state.mailboxes.get(request.params["mailbox"].lower())
    if mailbox is None:
        raise bad(f"No mailbox {request.params['mailbox']}.", 404)
    return mailbox


@router.route("GET", "/_sandbox/health")
def health(app: Any, request: Request) -> Response:
    return Response.json(200, {"status": "ok"})


@router.route("PUT", "/_sandbox/settings")
def change_settings(app: Any, request: Request) -> Response:
    """Behaviours a test may turn on: `notify_before_answer` delivers the notifications of a
    write (every notification queued, in fact) before the write is answered, as Graph may;
    `latency` (seconds) is how long every Graph, identity and Rover request takes, as over
    the internet (100-300 ms to Graph), separate from the fault injection;
    `notification_concurrency` is how many notifications are delivered at once (1: one at a
    time, in order; Graph delivers several at once, in no promised order)."""
    body = body_of(request)
    unknown = set(body) - set(app.state.settings)
    if unknown:
        raise bad(f"Unknown settings {sorted(unknown)}; known: {sorted(app.state.settings)}.")
    latency = body.get("latency", 0)
    if not isinstance(latency, int | float) or not 0 <= latency <= 10:
        raise bad("'latency' is a number of seconds from 0 to 10.")
    deliverers = body.get("notification_concurrency", 1)
    if not isinstance(deliverers, int) or isinstance(deliverers, bool) or not 1 <= deliverers <= 32:
        raise bad("'notification_concurrency' is a whole number from 1 to 32.")
    with app.state.lock:
        app.state.settings.update(body)
        settings = dict(app.state.settings)
    app.notifier.resize(settings["notification_concurrency"])
    return Response.json(200, settings)


@router.route("POST", "/_sandbox/reset")
def reset(app: Any, request: Request) -> Response:
    app.notifier.wait_idle()
    app.state.reset()
    app.notifier.resize(app.state.settings["notification_concurrency"])
    app.notifier.clear()
    with app.in_flight_lock:
        app.peak_in_flight.clear()
    return Response.json(200, {"status": "reset"})


# --- seeding ------------------------------------------------------------------------------


def seed_everything(app: Any, data: dict[str, Any]) -> dict[str, int]:
    state = app.state
    with state.lock:
        for item in data.get("apps", []):
            permissions = item.get("permissions")
            state.add_app(
                item["tenant"],
                item["client_id"],
                item["client_secret"],
                None if permissions is None else set(permissions),
            )
        for item in data.get("mailboxes", []):
            state.add_mailbox(
                item["address"],
                tenant=item.get("tenant", "sandbox"),
                display_name=item.get("display_name", ""),
                kind=item.get("kind", "user"),
                calendars=item.get("calendars"),
                **processing(item),
            )
        for item in data.get("room_lists", []):
            address = item["address"].lower()
            state.room_lists.setdefault(
                address, RoomList(address, item.get("display_name", address))
            )
        for item in data.get("rooms", []):
            address = item["address"].lower()
            state.add_mailbox(
                address,
                tenant=item.get("tenant", "sandbox"),
                display_name=item.get("display_name", ""),
                kind="room",
                **processing(item),
            )
            state.rooms[address] = Room(
                address,
                item.get("display_name", address),
                item.get("capacity"),
                item.get("building", ""),
                (item.get("room_list") or "").lower() or None,
            )
        for workspace in data.get("google", []):
            _seed_google(state.google, workspace)
        for item in data.get("rover_accounts", []):
            account_id = state.rover.allocate_id()
            state.rover.accounts[account_id] = {"type": "COMPANY", **item, "id": account_id}
        return {
            "apps": len(state.apps),
            "mailboxes": len(state.mailboxes),
            "rooms": len(state.rooms),
            "room_lists": len(state.room_lists),
        }


def _seed_google(google: Any, workspace: dict[str, Any]) -> None:
    """A Google Workspace tenant of the database: its service account (by its key file), its
    admin, its people and its rooms (calendar resources)."""
    if not isinstance(workspace, dict) or not isinstance(workspace.get("key"), dict):
        raise bad("Each 'google' item has the tenant's service account 'key' (its key file).")
    try:
        google.register_key(workspace["key"])
    except (KeyError, TypeError, ValueError) as exc:
        raise bad(f"The service account key cannot be read: {exc}") from None
    if workspace.get("admin"):
        google.add_user(str(workspace["admin"]), admin=True)
    for email in workspace.get("users") or []:
        google.add_user(str(email))
    for room in workspace.get("rooms") or []:
        fields = {k: v for k, v in room.items() if k in ("capacity", "buildingId")}
        google.add_resource(str(room["email"]), str(room["name"]), **fields)


def processing(item: dict[str, Any]) -> dict[str, Any]:
    """A room's calendar processing settings given in seed data or a control call."""
    found: dict[str, Any] = {}
    if "automate_processing" in item:
        if item["automate_processing"] not in PROCESSING_MODES:
            raise bad(f"'automate_processing' is one of {list(PROCESSING_MODES)}.")
        found["automate_processing"] = item["automate_processing"]
    if "allow_conflicts" in item:
        if not isinstance(item["allow_conflicts"], bool):
            raise bad("'allow_conflicts' is true or false.")
        found["allow_conflicts"] = item["allow_conflicts"]
    return found


@router.route("PUT", "/_sandbox/mailboxes/{mailbox}/calendar-processing")
def calendar_processing(app: Any, request: Request) -> Response:
    """Set-CalendarProcessing for one room: automate_processing, allow_conflicts."""
    changes = processing(body_of(request))
    with app.state.lock:
        mailbox = mailbox_of(app, request)
        for name, value in changes.items():
            setattr(mailbox, name, value)
        return Response.json(
            200,
            {
                "automate_processing": mailbox.automate_processing,
                "allow_conflicts": mailbox.allow_conflicts,
            },
        )


@router.route("POST", "/_sandbox/seed")
def seed(app: Any, request: Request) -> Response:
    try:
        return Response.json(200, seed_everything(app, body_of(request)))
    except (KeyError, TypeError) as exc:
        raise bad(f"Missing or malformed field in the seed data: {exc}") from None


@router.route("POST", "/_sandbox/tenants/{tenant}/revoke")
def revoke(app: Any, request: Request) -> Response:
    with app.state.lock:
        app.state.revoke(request.params["tenant"])
    return Response.json(200, {"revoked": request.params["tenant"]})


@router.route("PUT", "/_sandbox/apps/{tenant}/{client_id}/permissions")
def set_permissions(app: Any, request: Request) -> Response:
    permissions = body_of(request).get("permissions")
    with app.state.lock:
        registration = app.state.apps.get((request.params["tenant"], request.params["client_id"]))
        if registration is None or not isinstance(permissions, list):
            raise bad("Unknown app, or 'permissions' is not a list.")
        registration.permissions = set(permissions)
    return Response.json(200, {"permissions": sorted(permissions)})


# --- acting as an Outlook user ------------------------------------------------------------


@router.route("GET", "/_sandbox/mailboxes/{mailbox}/events")
def list_events(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request)
        events = [
            master_to_graph(e)
            | {"calendarId": e.calendar_id, "cancelledOccurrences": sorted(e.cancelled)}
            for e in mailbox.events.values()
            if not e.deleted
        ]
    return Response.json(200, {"value": events})


@router.route("POST", "/_sandbox/outlook/{mailbox}/events")
def outlook_create(app: Any, request: Request) -> Response:
    """Create one event, or many with {"events": [...]}, as the mailbox's Outlook user."""
    body = body_of(request)
    many = body.get("events")
    with app.state.lock:
        mailbox = mailbox_of(app, request)
        created = [outlook_create_one(app, mailbox, dict(e)) for e in (many or [body])]
    if many is not None:
        return Response.json(201, {"value": created})
    return Response.json(201, created[0])


def outlook_create_one(app: Any, mailbox: Mailbox, body: dict[str, Any]) -> dict[str, Any]:
    """A meeting landing in `mailbox`. When its organizer (organizerEmail) is another mailbox
    of the tenant, the meeting is made in the organizer's calendar, with this mailbox invited,
    and this mailbox's copy is returned: as in Exchange, each invited calendar holds a copy.
    A room that declines the invitation keeps none: then the organizer's event is returned,
    showing the room's response."""
    calendar_name = body.pop("calendar", None)
    organizer = str(body.pop("organizerEmail", None) or "").lower() or None
    host = app.state.mailboxes.get(organizer or "")
    if host is not None and host.tenant == mailbox.tenant and host is not mailbox:
        if calendar_name:
            raise bad("A meeting sent by another mailbox lands in the default calendar.")
        kind = "resource" if mailbox.kind == "room" else "required"
        attendees = list(body.get("attendees") or [])
        if not any(_address(a) == mailbox.address for a in attendees):
            attendees.append({"emailAddress": {"address": mailbox.address}, "type": kind})
        event = _create(app, host, host.default_calendar.id, {**body, "attendees": attendees})
        if mailbox.address not in event.copies:  # a room declined it: no copy stays
            return master_to_graph(event)
        return master_to_graph(mailbox.events[event.copies[mailbox.address]])
    calendar = (
        mailbox.default_calendar
        if not calendar_name
        else next((c for c in mailbox.calendars.values() if c.name == calendar_name), None)
    )
    if calendar is None:
        raise bad(f"No calendar {calendar_name!r} in {mailbox.address}.")
    return master_to_graph(_create(app, mailbox, calendar.id, body, organizer))


def _address(attendee: Any) -> str:
    return str(((attendee or {}).get("emailAddress") or {}).get("address") or "").lower()


def _create(
    app: Any, mailbox: Mailbox, calendar_id: str, body: dict[str, Any], organizer: str | None = None
) -> Any:
    try:
        event, _ = app.state.create_event(mailbox, calendar_id, body, organizer)
    except (InvalidEvent, UnsupportedTimeZone) as exc:
        raise bad(str(exc)) from None
    return event


def outlook_event(app: Any, request: Request) -> tuple[Mailbox, Any, str | None]:
    mailbox = mailbox_of(app, request)
    found = app.state.find_event(mailbox, request.params["event"])
    if found is None:
        raise bad(f"No event {request.params['event']} in {mailbox.address}.", 404)
    return mailbox, *found


def organizers_event(app: Any, request: Request) -> tuple[Mailbox, Any, str | None, Any]:
    """The meeting as its organizer has it (changes and cancellations are the organizer's),
    and the copy in the mailbox of the request."""
    _, event, key = outlook_event(app, request)
    origin = app.state.origin_of(event)
    return app.state.mailboxes[origin.mailbox], origin, key, event


@router.route("PATCH", "/_sandbox/outlook/{mailbox}/events/{event}")
def outlook_update(app: Any, request: Request) -> Response:
    """The organizer changes the meeting: every copy follows."""
    body = body_of(request)
    with app.state.lock:
        mailbox, event, key, copy = organizers_event(app, request)
        try:
            app.state.update_event(mailbox, event, key, body)
        except (InvalidEvent, UnsupportedTimeZone) as exc:
            raise bad(str(exc)) from None
        return Response.json(200, master_to_graph(copy))


@router.route("POST", "/_sandbox/outlook/{mailbox}/events/{event}/cancel")
def outlook_cancel(app: Any, request: Request) -> Response:
    """The organizer cancels: the copies stay in the attendees' (rooms') calendars, marked
    cancelled. For a meeting organized in the tenant, it leaves the organizer's calendar."""
    with app.state.lock:
        mailbox, event, key, copy = organizers_event(app, request)
        if event is copy:  # organized outside the tenant: this is the copy that stays
            app.state.mark_cancelled(mailbox, event, key)
        else:
            app.state.delete_event(mailbox, event, key)
        return Response.json(200, master_to_graph(copy))


@router.route("DELETE", "/_sandbox/outlook/{mailbox}/events/{event}")
def outlook_delete(app: Any, request: Request) -> Response:
    """The mailbox's user deletes the event from their own calendar (the organizer's deletion
    cancels it for the attendees)."""
    with app.state.lock:
        mailbox, event, key = outlook_event(app, request)
        app.state.delete_event(mailbox, event, key)
    return Response(204)


# --- faults, delta tokens, subscriptions ----------------------------------------------------


@router.route("POST", "/_sandbox/faults")
def add_fault(app: Any, request: Request) -> Response:
    body = body_of(request)
    kind = body.get("kind", "status")
    if kind not in FAULT_KINDS or not body.get("path"):
        raise bad(f"A fault needs a 'path' pattern and a kind in {sorted(FAULT_KINDS)}.")
    spec = {
        "path": body["path"],
        "method": body.get("method", "*").upper(),
        "times": int(body.get("times", 1)),
        "kind": kind,
        "status": int(body.get("status", 503)),
        "retry_after": body.get("retry_after"),
        "code": body.get("code", ""),
        "message": body.get("message", ""),
        "seconds": float(body.get("seconds", 0)),
        "skip": int(body.get("skip", 0)),
    }
    with app.state.lock:
        fault = app.state.add_fault(**spec)
    return Response.json(201, {"id": fault.id, **spec})


@router.route("DELETE", "/_sandbox/faults")
def clear_faults(app: Any, request: Request) -> Response:
    with app.state.lock:
        app.state.faults.clear()
    return Response(204)


@router.route("POST", "/_sandbox/mailboxes/{mailbox}/delta/expire")
def expire_delta(app: Any, request: Request) -> Response:
    with app.state.lock:
        mailbox = mailbox_of(app, request)
        expired = 0
        for token in app.state.delta_tokens.values():
            if token.mailbox == mailbox.address and not token.expired:
                token.expired, expired = True, expired + 1
    return Response.json(200, {"expired": expired})


@router.route("GET", "/_sandbox/subscriptions")
def list_subscriptions(app: Any, request: Request) -> Response:
    with app.state.lock:
        return Response.json(
            200,
            {
                "value": [
                    subscription_json(s) | {"mailbox": s.mailbox}
                    for s in app.state.subscriptions.values()
                ]
            },
        )


@router.route("POST", "/_sandbox/subscriptions/{subscription}/lifecycle")
def lifecycle(app: Any, request: Request) -> Response:
    """Send a lifecycle notification (`times` copies of it: delivery is at least once)."""
    body = body_of(request)
    event, times = body.get("event"), body.get("times", 1)
    if event not in LIFECYCLE_EVENTS:
        raise bad(f"'event' must be one of {sorted(LIFECYCLE_EVENTS)}.")
    if not isinstance(times, int) or not 1 <= times <= 1000:
        raise bad("'times' must be a whole number from 1 to 1000.")
    with app.state.lock:
        subscription = app.state.subscriptions.get(request.params["subscription"])
        if subscription is None:
            raise bad("No such subscription.", 404)
        if event == "subscriptionRemoved":
            del app.state.subscriptions[subscription.id]
        send_lifecycle(app, subscription, event, times)
    return Response.json(200, {"sent": event, "times": times})


@router.route("POST", "/_sandbox/subscriptions/{subscription}/notify")
def notify_many(app: Any, request: Request) -> Response:
    """Deliver `times` change notifications for an event of the subscription's mailbox,
    spread over `seconds`, `concurrency` at a time, and answer when all are delivered with
    what each got back. `clientState` replaces the subscription's (a forged notification)."""
    body = body_of(request)
    try:
        times = int(body.get("times", 1))
        seconds = float(body.get("seconds", 0))
        concurrency = int(body.get("concurrency", 1))
    except (TypeError, ValueError):
        raise bad("'times', 'seconds' and 'concurrency' must be numbers.") from None
    if not 1 <= times <= 10_000 or not 1 <= concurrency <= 100 or not 0 <= seconds <= 60:
        raise bad("Up to 10,000 notifications, 100 at a time, within 60 seconds.")
    with app.state.lock:
        subscription = app.state.subscriptions.get(request.params["subscription"])
        if subscription is None:
            raise bad("No such subscription.", 404)
        mailbox = app.state.mailboxes[subscription.mailbox]
        event_id = body.get("event") or next(iter(mailbox.events), "AAMk-unknown")
        payload = change_notification(
            subscription,
            mailbox,
            body.get("changeType", "updated"),
            event_id,
            "",
            body.get("clientState"),
        )
        url = subscription.notification_url
    results = app.notifier.deliver_now(url, [payload] * times, seconds, concurrency)
    return Response.json(200, {"value": results})


@router.route("POST", "/_sandbox/subscriptions/{subscription}/expire")
def expire_subscription(app: Any, request: Request) -> Response:
    with app.state.lock:
        subscription = app.state.subscriptions.get(request.params["subscription"])
        if subscription is None:
            raise bad("No such subscription.", 404)
        subscription.expires_at = now() - dt.timedelta(seconds=1)
    return Response.json(200, {"expired": subscription.id})


@router.route("GET", "/_sandbox/notifications")
def notifications(app: Any, request: Request) -> Response:
    app.notifier.wait_idle()
    return Response.json(200, {"value": app.notifier.history()})


# --- the request log and Rover ------------------------------------------------------------


@router.route("GET", "/_sandbox/requests")
def request_log(app: Any, request: Request) -> Response:
    since = int(request.query.get("since", 0) or 0)
    with app.state.lock:
        return Response.json(200, {"value": [r for r in app.state.requests if r["id"] > since]})


@router.route("DELETE", "/_sandbox/requests")
def clear_request_log(app: Any, request: Request) -> Response:
    with app.state.lock:
        app.state.requests.clear()
    with app.in_flight_lock:
        app.peak_in_flight.clear()
    return Response(204)


@router.route("GET", "/_sandbox/concurrency")
def concurrency(app: Any, request: Request) -> Response:
    """The most requests each mailbox had running at once (a batch counting its share),
    since the request log was cleared; Graph answers 429 past four."""
    with app.in_flight_lock:
        return Response.json(200, {"peak": dict(app.peak_in_flight)})


@router.route("GET", "/_sandbox/rover")
def rover_state(app: Any, request: Request) -> Response:
    with app.state.lock:
        rover = app.state.rover
        return Response.json(
            200,
            {
                "accounts": list(rover.accounts.values()),
                "posting_accounts": list(rover.posting_accounts.values()),
                "charges": {str(k): v for k, v in rover.charges.items()},
            },
        )


@router.route("POST", "/_sandbox/rover/expire-tokens")
def expire_rover_tokens(app: Any, request: Request) -> Response:
    with app.state.lock:
        count = len(app.state.rover.tokens)
        app.state.rover.tokens.clear()
    return Response.json(200, {"expired": count})


# --- Google Workspace ---------------------------------------------------------------------


@router.route("POST", "/_sandbox/google/service-accounts")
def google_service_account(app: Any, request: Request) -> Response:
    """A service account of the Workspace's project: answers its key file (JSON), as the
    Cloud console's "Add key" does. `delegated_scopes` (default: what Bookbridge asks for)
    are the scopes an admin granted its client id domain-wide delegation for."""
    body = body_of(request)
    email = str(body.get("email") or "bookbridge@bookbridge-sync.iam.gserviceaccount.com")
    scopes = body.get("delegated_scopes")
    if scopes is not None and not (
        isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
    ):
        raise bad("'delegated_scopes' is a list of scope URLs.")
    with app.state.lock:
        key = app.state.google.add_service_account(
            email, f"{app.origin(request)}/token", None if scopes is None else set(scopes)
        )
    return Response.json(201, key)


@router.route("PUT", "/_sandbox/google/service-accounts/{email}/delegation")
def google_delegation(app: Any, request: Request) -> Response:
    """What the admin console's domain-wide delegation grants the account's client id now."""
    scopes = body_of(request).get("scopes")
    if not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise bad("'scopes' is a list of scope URLs.")
    with app.state.lock:
        account = app.state.google.service_accounts.get(request.params["email"])
        if account is None:
            raise bad(f"No service account {request.params['email']}.", 404)
        account.delegated_scopes = set(scopes)
    return Response.json(200, {"scopes": sorted(scopes)})


@router.route("POST", "/_sandbox/google/users")
def google_user(app: Any, request: Request) -> Response:
    body = body_of(request)
    email = str(body.get("email", "")).lower()
    if "@" not in email:
        raise bad("'email' is the user's address.")
    with app.state.lock:
        app.state.google.users[email] = bool(body.get("admin", False))
        app.state.google.add_calendar(email)
    return Response.json(201, {"email": email, "admin": bool(body.get("admin", False))})


@router.route("GET", "/_sandbox/google/calendars/{calendar}/events")
def google_calendar_events(app: Any, request: Request) -> Response:
    """Every event a Workspace calendar holds, deleted ones (status cancelled) too."""
    with app.state.lock:
        calendar = app.state.google.calendars.get(request.params["calendar"].lower())
        if calendar is None:
            raise bad(f"No calendar {request.params['calendar']}.", 404)
        return Response.json(200, {"value": list(calendar["events"].values())})


@router.route("POST", "/_sandbox/google/calendars/{calendar}/sync/expire")
def google_expire_sync(app: Any, request: Request) -> Response:
    """Google invalidates sync tokens as it likes (expiry, ACL changes): the calendar's next
    incremental list answers 410 fullSyncRequired."""
    with app.state.lock:
        calendar = app.state.google.calendars.get(request.params["calendar"].lower())
        if calendar is None:
            raise bad(f"No calendar {request.params['calendar']}.", 404)
        calendar["sync_floor"] = app.state.google.next_change()
    return Response.json(200, {"sync_floor": calendar["sync_floor"]})


@router.route("POST", "/_sandbox/google/resources")
def google_resource(app: Any, request: Request) -> Response:
    """A calendar resource (room) of the Workspace, with its calendar. `acceptAll` sets its
    calendar to "Automatically add all invitations" (conflicting ones too)."""
    body = body_of(request)
    email, name = body.pop("resourceEmail", None), body.pop("resourceName", None)
    accept_all = bool(body.pop("acceptAll", False))
    if not isinstance(email, str) or not isinstance(name, str):
        raise bad("'resourceEmail' and 'resourceName' are required.")
    with app.state.lock:
        resource = app.state.google.add_resource(email, name, **body)
        if accept_all:
            app.state.google.accept_all.add(email.lower())
    return Response.json(201, resource)

"""Graph change-notification subscriptions: create (with the validation handshake), renew,
delete, and the notifications sent when events change."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sandbox.calendar import Event, iso
from sandbox.graph_api import authorize, body_of, fail, for_each_version
from sandbox.state import Mailbox, Subscription, now
from sandbox.web import Request, Response

MAX_LIFETIME = dt.timedelta(minutes=10080)
LIFECYCLE_URL_REQUIRED_AFTER = dt.timedelta(hours=1)
CHANGE_TYPES = {"created", "updated", "deleted"}
RESOURCE = re.compile(
    r"^/?(?:users|Users)/(?P<user>[^/]+)(?:/calendars/(?P<calendar>[^/]+))?/events$",
    re.IGNORECASE,
)


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "resource": subscription.resource,
        "applicationId": subscription.client_id,
        "changeType": ",".join(sorted(subscription.change_types)),
        "clientState": subscription.client_state,
        "notificationUrl": subscription.notification_url,
        "lifecycleNotificationUrl": subscription.lifecycle_url,
        "expirationDateTime": iso(subscription.expires_at),
        "latestSupportedTlsVersion": "v1_2",
        "notificationContentType": "application/json",
    }


def expiration(request: Request, value: Any) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise fail(
            request, 400, "InvalidRequest", "expirationDateTime is not a valid date and time."
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if moment <= now():
        raise fail(request, 400, "InvalidRequest", "Subscription expiration must be in the future.")
    if moment > now() + MAX_LIFETIME:
        raise fail(
            request,
            400,
            "InvalidRequest",
            "Subscription expiration can only be 10080 minutes in the future.",
        )
    return moment


@for_each_version("POST", "/subscriptions")
def create_subscription(app: Any, request: Request) -> Response:
    body = body_of(request)
    for required in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
        if not body.get(required):
            raise fail(request, 400, "InvalidRequest", f"'{required}' is a required property.")
    change_types = {c.strip() for c in str(body["changeType"]).split(",")}
    if not change_types <= CHANGE_TYPES:
        raise fail(request, 400, "InvalidRequest", f"Invalid changeType: {body['changeType']}.")
    expires_at = expiration(request, body["expirationDateTime"])
    lifecycle_url = body.get("lifecycleNotificationUrl") or None
    if lifecycle_url is None and expires_at > now() + LIFECYCLE_URL_REQUIRED_AFTER:
        raise fail(
            request,
            400,
            "InvalidRequest",
            "lifecycleNotificationUrl is a required property for subscription creation "
            "when expirationDateTime is more than 1 hour in the future.",
        )
    if len(str(body.get("clientState") or "")) > 128:
        raise fail(request, 400, "InvalidRequest", "clientState cannot exceed 128 characters.")
    found = RESOURCE.match(str(body["resource"]))
    if not found:
        raise fail(
            request,
            400,
            "InvalidRequest",
            f"Resource '{body['resource']}' is not supported for subscriptions.",
        )
    with app.state.lock:
        token = authorize(app, request, "Calendars.Read")
        mailbox = app.state.find_mailbox(token.tenant, found.group("user"))
        if mailbox is None:
            raise fail(
                request,
                404,
                "ErrorInvalidUser",
                f"The requested user '{found.group('user')}' is invalid.",
            )
        calendar_id = found.group("calendar")
        if calendar_id and calendar_id not in mailbox.calendars:
            raise fail(request, 404, "ErrorItemNotFound", "The calendar was not found.")
    # Graph calls the subscriber before it answers; never while holding the state lock.
    for url in filter(None, (body["notificationUrl"], lifecycle_url)):
        problem = app.notifier.handshake(url)
        if problem:
            raise fail(request, 400, "ValidationError", problem)
    subscription = Subscription(
        id=str(uuid.uuid4()),
        tenant=token.tenant,
        client_id=token.client_id,
        resource=str(body["resource"]),
        mailbox=mailbox.address,
        calendar_id=calendar_id,
        change_types=change_types,
        notification_url=body["notificationUrl"],
        lifecycle_url=lifecycle_url,
        client_state=body.get("clientState"),
        expires_at=expires_at,
    )
    with app.state.lock:
        app.state.subscriptions[subscription.id] = subscription
    return Response.json(201, subscription_json(subscription))


def subscription_of(app: Any, request: Request) -> Subscription:
    token = authorize(app, request, "Calendars.Read")
    subscription = app.state.subscriptions.get(request.params["subscription"])
    if subscription is None or subscription.tenant != token.tenant:
        raise fail(
            request,
            404,
            "ResourceNotFound",
            f"The object was not found: {request.params['subscription']}",
        )
    return subscription


@for_each_version("GET", "/subscriptions")
def list_subscriptions(app: Any, request: Request) -> Response:
    """subscription-list.md: with application permissions, the subscriptions this app made
    in the tenant."""
    with app.state.lock:
        token = authorize(app, request, "Calendars.Read")
        found = [
            subscription_json(s)
            for s in app.state.subscriptions.values()
            if s.tenant == token.tenant and s.client_id == token.client_id
        ]
    return Response.json(200, {"value": found})


@for_each_version("GET", "/subscriptions/{subscription}")
def get_subscription(app: Any, request: Request) -> Response:
    with app.state.lock:
        return Response.json(200, subscription_json(subscription_of(app, request)))


@for_each_version("PATCH", "/subscriptions/{subscription}")
def renew_subscription(app: Any, request: Request) -> Response:
    body = body_of(request)
    with app.state.lock:
        subscription = subscription_of(app, request)
        if "expirationDateTime" in body:
            subscription.expires_at = expiration(request, body["expirationDateTime"])
        return Response.json(200, subscription_json(subscription))


@for_each_version("DELETE", "/subscriptions/{subscription}")
def delete_subscription(app: Any, request: Request) -> Response:
    with app.state.lock:
        subscription = subscription_of(app, request)
        del app.state.subscriptions[subscription.id]
    return Response(204)


def notify_event_change(
    app: Any, mailbox: Mailbox, event: Event, change: str, event_id: str
) -> None:
    """Queue a notification for every live subscription watching the event's calendar.

    Called with the state lock held, right after the change."""
    for subscription in app.state.subscriptions.values():
        if (
            subscription.mailbox != mailbox.address
            or change not in subscription.change_types
            or subscription.expires_at <= now()
            or subscription.calendar_id not in (None, event.calendar_id)
        ):
            continue
        app.notifier.send(
            subscription.notification_url,
            change_notification(subscription, mailbox, change, event_id, event.change_key),
        )


def change_notification(
    subscription: Subscription,
    mailbox: Mailbox,
    change: str,
    event_id: str,
    change_key: str,
    client_state: str | None = None,
) -> dict[str, Any]:
    """The body Graph POSTs to notificationUrl for a change to an event."""
    resource = f"Users/{mailbox.id}/Events/{event_id}"
    return {
        "value": [
            {
                "subscriptionId": subscription.id,
                "subscriptionExpirationDateTime": iso(subscription.expires_at),
                "changeType": change,
                "resource": resource,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": resource,
                    "@odata.etag": f'W/"{change_key}"',
                    "id": event_id,
                },
                "clientState": subscription.client_state if client_state is None else client_state,
                "tenantId": subscription.tenant,
            }
        ]
    }


def send_lifecycle(
    app: Any, subscription: Subscription, lifecycle_event: str, times: int = 1
) -> None:
    """Send a lifecycle notification; `times` > 1 sends the same one again (Graph delivers
    at least once, so a subscriber may see one notification several times)."""
    if not subscription.lifecycle_url:
        return
    for _ in range(times):
        _send_lifecycle(app, subscription, lifecycle_event)


def _send_lifecycle(app: Any, subscription: Subscription, lifecycle_event: str) -> None:
    app.notifier.send(
        subscription.lifecycle_url,
        {
            "value": [
                {
                    "subscriptionId": subscription.id,
                    "subscriptionExpirationDateTime": iso(subscription.expires_at),
                    "tenantId": subscription.tenant,
                    "clientState": subscription.client_state,
                    "lifecycleEvent": lifecycle_event,
                }
            ]
        },
    )

"""POST /graph/notifications/ and POST /graph/lifecycle/: what Graph tells us.

A notification is only a hint: it is checked (known subscription, right clientState,
compared in constant time), stored as a coalesced sync request for its connection, and
answered 202 at once; the sync reads the calendar with delta. If the request cannot be
stored the answer is 503, so Graph sends it again."""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from syncconnections.inbound.requests import request_sync
from syncconnections.models import IgnoredNotification, SyncConnection

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60  # how long a subscription's connection and clientState are remembered
LIFECYCLE_TASKS = {
    "reauthorizationRequired": "syncconnections.tasks.renew_subscription",
    "subscriptionRemoved": "syncconnections.tasks.resubscribe",
}


@dataclass(frozen=True)
class Subscriber:
    connection_id: int
    client_state: str


_subscribers: dict[str, tuple[float, Subscriber | None]] = {}


def subscriber(subscription_id: str) -> Subscriber | None:
    """The connection behind a subscription, remembered briefly: notifications come in
    storms, and each would otherwise read and decrypt the same row."""
    now = time.monotonic()
    cached = _subscribers.get(subscription_id)
    if cached and cached[0] > now:
        return cached[1]
    row = (
        SyncConnection.objects.filter(subscription_id=subscription_id)
        .values_list("pk", "subscription_client_state")
        .first()
    )
    found = Subscriber(row[0], row[1] or "") if row else None
    _subscribers[subscription_id] = (now + (CACHE_SECONDS if found else 5), found)
    return found


def forget_subscribers() -> None:
    _subscribers.clear()


def handshake(request: HttpRequest) -> HttpResponse | None:
    """Graph's validation request: answer the decoded token as plain text, nothing else."""
    token = request.GET.get("validationToken")
    if token is None:
        return None
    return HttpResponse(token, content_type="text/plain; charset=utf-8")


class MalformedBody(ValueError):
    pass


def items_of(request: HttpRequest) -> list[dict[str, Any]]:
    try:
        body = json.loads(request.body or b"")
    except ValueError as exc:
        raise MalformedBody(f"The body is not JSON: {exc}") from None
    items = body.get("value") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedBody('The body must be an object with a "value" list of notifications.')
    return items


def verified(items: list[dict[str, Any]]) -> list[tuple[Subscriber, dict[str, Any]]]:
    """The items from a subscription we know, with its clientState; the rest are counted,
    logged and dropped."""
    found = []
    for item in items:
        subscription_id = str(item.get("subscriptionId") or "")
        known = subscriber(subscription_id) if subscription_id else None
        if known is None:
            ignore("unknown subscription", subscription_id)
        elif not hmac.compare_digest(
            str(item.get("clientState") or "").encode(), known.client_state.encode()
        ):
            ignore("wrong clientState", subscription_id)
        else:
            found.append((known, item))
    return found


def ignore(reason: str, subscription_id: str) -> None:
    logger.warning(
        "ignored a Graph notification: %s (subscription %r)", reason, subscription_id[:100]
    )
    counted = IgnoredNotification.objects.filter(reason=reason).update(
        count=F("count") + 1, last_at=timezone.now(), last_subscription_id=subscription_id[:100]
    )
    if not counted:
        IgnoredNotification.objects.get_or_create(
            reason=reason,
            defaults={
                "count": 1,
                "last_at": timezone.now(),
                "last_subscription_id": subscription_id[:100],
            },
        )


def bad_request(exc: MalformedBody) -> JsonResponse:
    return JsonResponse({"error": str(exc)}, status=400)


def not_stored(exc: DatabaseError) -> JsonResponse:
    logger.error("could not store Graph notifications: %s", exc)
    return JsonResponse(
        {"error": "The notification could not be stored; send it again."}, status=503
    )


@csrf_exempt
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    answer = handshake(request)
    if answer is not None:
        return answer
    try:
        items = verified(items_of(request))
        request_sync({known.connection_id for known, _ in items})
    except MalformedBody as exc:
        return bad_request(exc)
    except DatabaseError as exc:
        return not_stored(exc)
    return HttpResponse(status=202)


@csrf_exempt
@require_POST
def lifecycle(request: HttpRequest) -> HttpResponse:
    answer = handshake(request)
    if answer is not None:
        return answer
    try:
        for known, item in verified(items_of(request)):
            event = item.get("lifecycleEvent")
            if event in LIFECYCLE_TASKS:
                async_task(LIFECYCLE_TASKS[event], known.connection_id, task_name=event)
            elif event == "missed":
                request_sync([known.connection_id], reason="missed")
            else:
                logger.warning("unknown lifecycle event %r ignored", event)
    except MalformedBody as exc:
        return bad_request(exc)
    except DatabaseError as exc:
        return not_stored(exc)
    return HttpResponse(status=202)

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
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from syncconnections.inbound import subscriptions
from syncconnections.inbound.sync_requests import request_sync
from syncconnections.models import IgnoredNotification, SyncConnection

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60  # how long a subscription's connection and clientState are remembered
LIFECYCLE_TASKS = {
    "reauthorizationRequired": subscriptions.renew_job,
    "subscriptionRemoved": subscriptions.resubscribe_job,
}


@dataclass(frozen=True)
class Subscriber:
    connection_id: int
    client_state: str


_subscribers: dict[str, tuple[float, Subscriber]] = {}
LOOKUP_CHUNK = 500
LONGEST_ID = 100  # Graph's subscription ids are GUIDs: anything longer is no id of ours


def subscribers(subscription_ids: set[str]) -> dict[str, Subscriber]:
    """The connections behind these subscriptions, those found remembered briefly:
    notifications come in storms, and each would otherwise read and decrypt the same row.
    Ids not found are not remembered (a stranger's ids would fill the memory)."""
    now = time.monotonic()
    found: dict[str, Subscriber] = {}
    missing = []
    for subscription_id in subscription_ids:
        cached = _subscribers.get(subscription_id)
        if cached and cached[0] > now:
            found[subscription_id] = cached[1]
        elif 0 < len(subscription_id) <= LONGEST_ID:
            missing.append(subscription_id)
    for first in range(0, len(missing), LOOKUP_CHUNK):
        rows = SyncConnection.objects.filter(
            subscription_id__in=missing[first : first + LOOKUP_CHUNK]
        ).values_list("subscription_id", "pk", "subscription_client_state")
        for subscription_id, pk, client_state in rows:
            found[subscription_id] = Subscriber(pk, client_state or "")
            _subscribers[subscription_id] = (now + CACHE_SECONDS, found[subscription_id])
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
    except RecursionError:  # "[" x 100,000: deeper than any notification
        raise MalformedBody("The body is not JSON that can be read: nested too deeply.") from None
    except RequestDataTooBig:
        raise MalformedBody("The body is too large for a notification.") from None
    items = body.get("value") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedBody('The body must be an object with a "value" list of notifications.')
    return items


def verified(items: list[dict[str, Any]]) -> list[tuple[Subscriber, dict[str, Any]]]:
    """The items from a subscription we know, with its clientState; the rest are counted,
    logged and dropped."""
    known = subscribers({str(item.get("subscriptionId") or "") for item in items})
    found = []
    ignored: Counter[str] = Counter()
    last_id: dict[str, str] = {}
    for item in items:
        subscription_id = str(item.get("subscriptionId") or "")
        subscriber = known.get(subscription_id)
        if subscriber is None:
            reason = "unknown subscription"
        elif subscriber.client_state and hmac.compare_digest(
            str(item.get("clientState") or "").encode(), subscriber.client_state.encode()
        ):
            found.append((subscriber, item))
            continue
        else:
            reason = "wrong clientState"
        ignored[reason] += 1
        last_id[reason] = subscription_id
    for reason, count in ignored.items():
        ignore(reason, last_id[reason], count)
    return found


def ignore(reason: str, subscription_id: str, count: int = 1) -> None:
    logger.warning(
        "ignored %d notification(s): %s (subscription or channel %r)",
        count,
        reason,
        subscription_id[:100],
    )
    # One statement that inserts the reason's row or adds to it: concurrent notifications
    # each count (an update, then a get_or_create when it found no row, lost some).
    table = connection.ops.quote_name(IgnoredNotification._meta.db_table)
    counted = connection.ops.quote_name("count")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (reason, {counted}, last_at, last_subscription_id) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (reason) DO UPDATE SET "
            f"{counted} = {table}.{counted} + excluded.{counted}, "
            "last_at = excluded.last_at, last_subscription_id = excluded.last_subscription_id",
            [reason, count, timezone.now(), subscription_id[:100]],
        )


def bad_request(exc: MalformedBody) -> JsonResponse:
    return JsonResponse({"error": str(exc)}, status=400)


def not_stored(exc: DatabaseError) -> JsonResponse:
    logger.error("could not store notifications: %s", exc)
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
                subscription_id = str(item.get("subscriptionId"))
                async_task(
                    LIFECYCLE_TASKS[event], known.connection_id, subscription_id, task_name=event
                )
            elif event == "missed":
                request_sync([known.connection_id], reason="missed")
            else:
                logger.warning("unknown lifecycle event %r ignored", event)
    except MalformedBody as exc:
        return bad_request(exc)
    except DatabaseError as exc:
        return not_stored(exc)
    return HttpResponse(status=202)

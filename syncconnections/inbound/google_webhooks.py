"""POST /google/notifications/: Google's push notifications that a watched calendar changed.

A notification has no body; its headers name the channel (X-Goog-Channel-ID), bring back our
secret token (X-Goog-Channel-Token, compared in constant time) and say what happened
(X-Goog-Resource-State: "sync" when the channel opens, then "exists" for any change,
deletions included). A change is only a hint: it becomes a coalesced sync request for the
channel's connection, and the sync reads what changed with the calendar's sync token.
Google takes any 2xx as delivered and sends again after a failure, so a notification that
cannot be stored is answered 503; one from an unknown channel or with a wrong token is
counted and dropped with a 200, since sending it again would not make it ours."""

from __future__ import annotations

import hmac

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from syncconnections.inbound.sync_requests import request_sync
from syncconnections.inbound.webhooks import ignore, not_stored, subscribers

STATES = {"sync", "exists", "not_exists"}


@csrf_exempt
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    channel_id = request.headers.get("X-Goog-Channel-ID", "")
    state = request.headers.get("X-Goog-Resource-State", "")
    if not channel_id or state not in STATES:
        return JsonResponse(
            {
                "error": "A Google push notification names its channel (X-Goog-Channel-ID) "
                "and its resource state (X-Goog-Resource-State: sync, exists or not_exists)."
            },
            status=400,
        )
    try:
        subscriber = subscribers({channel_id}).get(channel_id)
        token = request.headers.get("X-Goog-Channel-Token", "")
        if subscriber is None:
            ignore("unknown channel", channel_id)
        elif not subscriber.client_state or not hmac.compare_digest(
            token.encode(), subscriber.client_state.encode()
        ):
            ignore("wrong channel token", channel_id)
        elif state != "sync":  # "sync" only says the channel is open
            request_sync([subscriber.connection_id])
    except DatabaseError as exc:
        return not_stored(exc)
    return HttpResponse(status=200)

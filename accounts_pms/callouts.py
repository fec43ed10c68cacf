"""Every call to Rover is written down: a StayNTouchRequest saved (pending) before the call
and updated after it, so the request log shows each callout, its answer and how long it took.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.utils import timezone

from accounts_pms.models import CalloutState, StayNTouchRequest
from accounts_pms.rover import RoverClient, RoverError
from common.http_client import TransportError

T = TypeVar("T")
RESPONSE_LIMIT = 20_000  # characters of a response kept in the log
# A claim older than this belongs to a job that died: another may take over. Far longer than
# the few callouts a job makes, each bounded by RoverClient's time-outs and retries.
STALE_CLAIM = timedelta(minutes=15)


class CalloutFailed(Exception):
    """A callout failed; its StayNTouchRequest says why."""

    def __init__(self, request: StayNTouchRequest, error: Exception) -> None:
        super().__init__(str(error))
        self.request = request
        self.error = error


def start(
    operation: str,
    *,
    account_id: int | None = None,
    reservation_id: int | None = None,
    body: Any = None,
    request: StayNTouchRequest | None = None,
) -> StayNTouchRequest:
    """Save the request (pending) before calling: a new one, or a failed one being retried
    (whose attempt the retry has counted already)."""
    if request is None:
        return StayNTouchRequest.objects.create(
            operation=operation,
            account_id=account_id,
            reservation_id=reservation_id,
            request_body=body,
            attempts=1,
        )
    StayNTouchRequest.objects.filter(pk=request.pk).update(
        state=CalloutState.PENDING, request_body=body, updated_at=timezone.now()
    )
    request.refresh_from_db()
    return request


def call(
    request: StayNTouchRequest,
    client: RoverClient,
    function: Callable[[RoverClient], T],
) -> T:
    """Make the call and record its outcome; raises CalloutFailed when it failed."""
    started = time.monotonic()
    try:
        answer = function(client)
    except TransportError as exc:
        finish(request, started, status=exc.status, failed=str(exc), response=exc.message)
        raise CalloutFailed(request, exc) from exc
    except Exception as exc:  # an answer we cannot read: failed, never left pending
        failed = f"Unexpected answer from StayNTouch: {type(exc).__name__}: {exc}"
        finish(request, started, status=client.last_status, failed=failed, response=None)
        raise CalloutFailed(request, exc) from exc
    finish(request, started, status=client.last_status, response=answer)
    return answer


def fail_without_call(request: StayNTouchRequest, message: str) -> StayNTouchRequest:
    """A callout that could not be made (missing data, nothing in Rover to attach to)."""
    request.state, request.error_message = CalloutState.FAILED, message
    request.save(update_fields=["state", "error_message", "updated_at"])
    return request


def succeed_without_call(request: StayNTouchRequest, note: str) -> StayNTouchRequest:
    """A retried callout whose work was found done already."""
    request.state, request.error_message = CalloutState.SUCCEEDED, note
    request.save(update_fields=["state", "error_message", "updated_at"])
    return request


def finish(
    request: StayNTouchRequest,
    started: float,
    *,
    status: int | None,
    response: Any,
    failed: str = "",
) -> None:
    request.state = CalloutState.FAILED if failed else CalloutState.SUCCEEDED
    request.status_code = status
    request.error_message = failed
    request.response_body = _text(response)
    request.duration_ms = round((time.monotonic() - started) * 1000)
    request.save(
        update_fields=[
            "state",
            "status_code",
            "error_message",
            "response_body",
            "duration_ms",
            "updated_at",
        ]
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:RESPONSE_LIMIT]


__all__ = ["CalloutFailed", "RoverError", "call", "fail_without_call", "start"]

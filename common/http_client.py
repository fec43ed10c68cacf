"""The thin HTTP base both integration clients stand on: one pooled session per process,
explicit timeouts, a pinned CA bundle, and bounded retries that honour Retry-After."""

from __future__ import annotations

import email.utils
import logging
import os
import time
from collections.abc import Callable
from typing import Any, ClassVar

import requests
from requests.adapters import HTTPAdapter

from common.backoff import backoff

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


class TransportError(Exception):
    """A call to an external service failed. `permanent` says whether trying again can help:
    4xx answers other than 408, 409 and 429 are permanent; the rest are not. `retry_after`:
    the service said to wait that many seconds before trying again (a throttled call): the
    work is to be deferred by that much, never tried sooner."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str = "",
        permanent: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.permanent = is_permanent(status) if permanent is None else permanent
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [str(self.status) if self.status else "", self.code]
        prefix = " ".join(p for p in parts if p)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return f"{text} (request-id {self.request_id})" if self.request_id else text


def json_or_none(response: requests.Response) -> Any:
    """The decoded JSON body; the text when it is not JSON; None when there is none."""
    if not response.content:
        return None
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than any answer
        return response.text


def is_permanent(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in (408, 409, 429)


def retry_after_seconds(headers: Any) -> float | None:
    """Retry-After in seconds (it may be a number or an HTTP date), or None."""
    value = (headers or {}).get("Retry-After")
    if value in (None, ""):
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        parsed = email.utils.parsedate_to_datetime(str(value))
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def missing_ca_bundle(verify: str | bool, setting: str) -> str | None:
    """Why the CA bundle to verify with cannot be used (it is not there: the sandbox has not
    written it yet, say), or None. requests would raise a bare OSError deep inside."""
    if isinstance(verify, str) and not os.path.isfile(verify):
        return f"The CA bundle {verify} ({setting}) does not exist."
    return None


class HttpClient:
    """Subclasses name the service and turn error answers into their TransportError."""

    service: ClassVar[str] = "the service"
    ca_setting: ClassVar[str] = "the CA bundle setting"
    error_class: ClassVar[type[TransportError]] = TransportError
    connect_timeout: ClassVar[float] = 5.0
    read_timeout: ClassVar[float] = 30.0
    max_retries: ClassVar[int] = 4
    max_backoff: ClassVar[float] = 30.0
    # A Retry-After up to this is waited out in place; a longer one is not slept through
    # (it would hold a worker) but raised, for the caller to defer the work by all of it.
    max_inline_wait: ClassVar[float] = 5.0
    _sessions: ClassVar[dict[str, requests.Session]] = {}

    def __init__(self, *, verify: str | bool = True, sleep: Callable[[float], None] = time.sleep):
        # An explicit CA path is passed with every request: a session's own `verify` would
        # lose to REQUESTS_CA_BUNDLE from the environment.
        self.verify = verify
        self.sleep = sleep

    @classmethod
    def session(cls) -> requests.Session:
        session = HttpClient._sessions.get(cls.__name__)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            HttpClient._sessions[cls.__name__] = session
        return session

    # --- what subclasses provide ---------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {}

    def refresh_auth(self) -> bool:
        """Called once on a 401; True when new credentials are worth one more try."""
        return False

    def error_from(self, response: requests.Response) -> TransportError:
        return self.error_class(response.text[:500] or response.reason, status=response.status_code)

    def is_throttled(self, response: requests.Response) -> bool:
        """An answer worth sending again after a wait (a service may throttle otherwise)."""
        return response.status_code in RETRY_STATUSES

    # --- sending ---------------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Full jitter: 0..min(cap, 2^attempt) seconds (attempt 0 is the first retry)."""
        return backoff(attempt + 1, first=1.0, longest=self.max_backoff, jitter=1.0)

    def wait_before_retry(self, response: requests.Response | None, attempt: int) -> None:
        delay = retry_after_seconds(response.headers) if response is not None else None
        self.sleep(delay if delay is not None else self.backoff(attempt))

    def failure(self, response: requests.Response) -> TransportError:
        """The error for an answer; a throttled one says how long the service asked to wait."""
        error = self.error_from(response)
        if self.is_throttled(response):
            error.retry_after = retry_after_seconds(response.headers)
        return error

    def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """The answer, after retries; raises the subclass's TransportError on failure."""
        method = method.upper()
        problem = missing_ca_bundle(self.verify, self.ca_setting)
        if problem:
            raise self.error_class(problem, permanent=False)
        retry_on_disconnect = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        refreshed = False
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self.session().request(
                    method,
                    url,
                    headers={**self.auth_headers(), **(headers or {})},
                    timeout=(self.connect_timeout, self.read_timeout),
                    verify=self.verify,
                    **kwargs,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                logger.info(
                    "%s %s %s failed: %s",
                    self.service,
                    method,
                    url.split("?")[0],
                    type(exc).__name__,
                )
                if retry_on_disconnect and attempt < self.max_retries:
                    self.wait_before_retry(None, attempt)
                    attempt += 1
                    continue
                raise self.unreachable(exc) from exc
            logger.debug(
                "%s %s %s -> %s in %.0f ms",
                self.service,
                method,
                url.split("?")[0],
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            if response.status_code == 401 and not refreshed and self.refresh_auth():
                refreshed = True
                continue
            # A gateway time-out may come after the service acted: like a dropped
            # connection, it is retried only when sending again is harmless.
            retryable = self.is_throttled(response) and (
                retry_on_disconnect or response.status_code != 504
            )
            wait = retry_after_seconds(response.headers) if retryable else None
            if retryable and attempt < self.max_retries and (wait or 0) <= self.max_inline_wait:
                self.wait_before_retry(response, attempt)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise self.failure(response)
            return response

    def unreachable(self, exc: Exception) -> TransportError:
        return self.error_class(
            f"{self.service} could not be reached: {type(exc).__name__}", permanent=False
        )

"""Google Workspace: the one client module for Google's Calendar and Directory APIs, on the
thin HTTP base (common/http_client.py). Tokens come from google-auth's service-account
credentials with domain-wide delegation (a JWT signed with the tenant's key, exchanged at
GOOGLE_TOKEN_URI), as msal's come for Microsoft Graph."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from google.auth import exceptions as google_exceptions
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.oauth2 import service_account

from common.http_client import HttpClient, TransportError, json_or_none
from syncconnections.google_keys import parse_key
from syncconnections.models import Tenant

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
DIRECTORY_RESOURCES_SCOPE = (
    "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly"
)
SCOPES = (CALENDAR_SCOPE, DIRECTORY_RESOURCES_SCOPE)
RESOURCES_PAGE = 500  # the Directory's largest page of calendar resources
EVENTS_PAGE = 2500  # the Calendar API's largest page of events
FREEBUSY_CALENDARS = 50  # freeBusy.query's most calendars a call
# Calls a batch request carries: Google takes up to 1000; fifty keeps one slow or refused
# batch small, as the other providers' batches are.
BATCH_CALLS = 50
# Google's answers worth waiting for and sending again (its errors guide: "exponential
# backoff"): rate limits come as 403 or 429, and a 500 backendError may pass.
THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
RETRY_STATUSES = frozenset({429, 500, 503, 504})


class GoogleError(TransportError):
    """A failed Google call; `code` is Google's reason (rateLimitExceeded, notFound, …) or,
    for a token, the OAuth error (unauthorized_client, invalid_grant)."""


class GoogleResyncNeeded(GoogleError):
    """A sync token Google no longer honours (410 fullSyncRequired): read everything again."""


def event_id(key: str) -> str:
    """The id of the event Bookbridge makes for a reservation (its uuid, hex): chosen by us, so
    that an insert sent twice finds the first (409) instead of making a second event. Hex
    digits are base32hex, as Google asks (a-v, 0-9, 5 to 1024 characters)."""
    return "bb" + uuid.UUID(str(key)).hex


def error_from_body(status: int, body: Any) -> GoogleError:
    """Google APIs answer {"error": {"code", "message", "errors": [{"reason", …}]}}."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        reasons = [e.get("reason", "") for e in error.get("errors") or [] if isinstance(e, dict)]
        return GoogleError(
            str(error.get("message") or ""), status=status, code=reasons[0] if reasons else ""
        )
    return GoogleError(str(body or "")[:500] or f"HTTP {status}", status=status)


class GoogleTokens:
    """Access tokens for one key, one user acted as, and some scopes; one google-auth
    credentials object per process for each, refreshed under its own lock (a slow sign-in
    holds up only the requests that need that token)."""

    _held: dict[tuple[str, str, str, tuple[str, ...]], tuple[Any, threading.Lock]] = {}
    _lock = threading.Lock()  # guards _held

    def __init__(self, key: dict[str, Any], subject: str, scopes: Sequence[str]) -> None:
        self.key, self.subject, self.scopes = key, subject, tuple(scopes)
        self.cache_key = (key["client_email"], key.get("private_key_id", ""), subject, self.scopes)

    def credentials(self) -> tuple[Any, threading.Lock]:
        with self._lock:
            held = self._held.get(self.cache_key)
            if held is None:
                credentials = service_account.Credentials.from_service_account_info(
                    {**self.key, "token_uri": settings.GOOGLE_TOKEN_URI},
                    scopes=self.scopes,
                    subject=self.subject,
                )
                held = self._held[self.cache_key] = (credentials, threading.Lock())
            return held

    def token(self) -> str:
        credentials, lock = self.credentials()
        with lock:
            if not credentials.valid:
                try:
                    credentials.refresh(GoogleAuthRequest(session=token_session()))
                except google_exceptions.RefreshError as exc:
                    raise token_error(exc) from exc
                except google_exceptions.TransportError as exc:
                    raise GoogleError(
                        f"Google's token endpoint could not be reached: {exc}", permanent=False
                    ) from exc
            return str(credentials.token)

    def forget(self) -> None:
        with self._lock:
            self._held.pop(self.cache_key, None)

    @classmethod
    def forget_all(cls) -> None:
        with cls._lock:
            cls._held.clear()


def token_session() -> requests.Session:
    """For google-auth's token calls: our CA bundle, not the environment's."""
    session = requests.Session()
    session.trust_env = False
    session.verify = settings.GOOGLE_CA_BUNDLE or True
    return session


def token_error(exc: google_exceptions.RefreshError) -> GoogleError:
    """google-auth's RefreshError carries the token endpoint's answer as its second argument."""
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(data.get("error") or "")
    message = str(data.get("error_description") or exc)
    return GoogleError(message, code=code, permanent=not getattr(exc, "retryable", False))


class GoogleClient(HttpClient):
    service = "Google"
    ca_setting = "GOOGLE_CA_BUNDLE"
    error_class = GoogleError

    def __init__(
        self, key: dict[str, Any], subject: str, scopes: Sequence[str] = SCOPES, **kw: Any
    ) -> None:
        super().__init__(verify=settings.GOOGLE_CA_BUNDLE or True, **kw)
        self.tokens = GoogleTokens(key, subject, scopes)
        self.root = settings.GOOGLE_API_ROOT

    @classmethod
    def for_tenant(cls, tenant: Tenant, scopes: Sequence[str] = SCOPES, **kw: Any) -> GoogleClient:
        """Acting as the tenant's admin user; ValueError when its key file is not one."""
        key = parse_key(tenant.google_service_account_key)
        return cls(key, tenant.google_admin_email, scopes, **kw)

    # --- HttpClient hooks ------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.token()}"}

    def refresh_auth(self) -> bool:
        self.tokens.forget()
        return True

    def error_from(self, response: requests.Response) -> GoogleError:
        error = error_from_body(response.status_code, json_or_none(response))
        if error.code in THROTTLE_REASONS or response.status_code in RETRY_STATUSES:
            error.permanent = False
        return error

    def is_throttled(self, response: requests.Response) -> bool:
        if response.status_code in RETRY_STATUSES:
            return True
        return (
            response.status_code == 403
            and error_from_body(403, json_or_none(response)).code in THROTTLE_REASONS
        )

    # --- calls -----------------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        return self.send("GET", f"{self.root}{path}", params=params or None).json()

    # --- calendars and events -------------------------------------------------------------

    def get_calendar(self, calendar: str) -> dict[str, Any]:
        """calendars.get: the calendar of a room or user (404 notFound when the admin may not
        reach it, or it does not exist)."""
        return self.get(f"/calendar/v3/calendars/{quote(calendar, safe='@')}")

    @staticmethod
    def events_path(calendar: str) -> str:
        return f"/calendar/v3/calendars/{quote(calendar, safe='@')}/events"

    def insert_event(
        self, calendar: str, event_id: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """The event made with our id, and whether it was there already (adopted): an insert
        whose answer was lost is sent again, and Google answers the second with 409
        duplicate. A deleted event's id stays taken, so a deleted one is restored."""
        url = f"{self.root}{self.events_path(calendar)}"
        try:
            # Safe to send again: the id makes a second insert a 409, never a second event.
            made = self.send("POST", url, json={**body, "id": event_id}, idempotent=True)
            return made.json(), False
        except GoogleError as exc:
            if exc.status != 409:
                raise
        return self.patch_event(calendar, event_id, {**body, "status": "confirmed"}), True

    def get_event(self, calendar: str, event_id: str) -> dict[str, Any]:
        return self.get(f"{self.events_path(calendar)}/{quote(event_id)}")

    def patch_event(self, calendar: str, event_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.root}{self.events_path(calendar)}/{quote(event_id)}"
        return self.send("PATCH", url, json=fields).json()

    def delete_event(self, calendar: str, event_id: str) -> bool:
        """Deletes the event; False when it was gone already (410 deleted, 404)."""
        url = f"{self.root}{self.events_path(calendar)}/{quote(event_id)}"
        try:
            self.send("DELETE", url)
        except GoogleError as exc:
            if exc.status in (404, 410):
                return False
            raise
        return True

    def event_changes(
        self,
        calendar: str,
        sync_token: str = "",
        window: tuple[dt.datetime, dt.datetime] | None = None,
        single_events: bool = False,
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Pages of the calendar's events, each with the sync token for next time ("" but on
        the last page): all of them (deleted ones too) without a token, those in `window`
        if given, what changed since with one (a window is not allowed then). Raises
        GoogleResyncNeeded when Google no longer honours the token. With `single_events`,
        recurring events come as their instances (the same on every read of one token)."""
        params: dict[str, Any] = {"maxResults": EVENTS_PAGE, "showDeleted": "true"}
        if single_events:
            params["singleEvents"] = "true"
        if sync_token:
            params["syncToken"] = sync_token
        elif window is not None:
            params["timeMin"], params["timeMax"] = (moment.isoformat() for moment in window)
        while True:
            try:
                page = self.get(self.events_path(calendar), **params)
            except GoogleError as exc:
                if exc.status == 410 and exc.code == "fullSyncRequired":
                    raise GoogleResyncNeeded(exc.message, status=410, code=exc.code) from exc
                raise
            yield page.get("items") or [], page.get("nextSyncToken") or ""
            if not page.get("nextPageToken"):
                return
            params["pageToken"] = page["nextPageToken"]

    def events_in(
        self, windows: Sequence[tuple[str, dt.datetime, dt.datetime]]
    ) -> list[list[dict[str, Any]] | GoogleError]:
        """What each (calendar, start, end) window holds: its events and the instances of its
        recurring events (singleEvents), cancelled ones left out; all windows in batches. A
        window Google refused is its error."""
        return self._lists(
            [
                (self.events_path(calendar), {"singleEvents": "true"}, start, end)
                for calendar, start, end in windows
            ]
        )

    def instances_in(
        self, series: Sequence[tuple[str, str, dt.datetime, dt.datetime]]
    ) -> list[list[dict[str, Any]] | GoogleError]:
        """The instances of each (calendar, recurring event id, start, end), exceptions in
        their place, cancelled ones left out; all in batches."""
        return self._lists(
            [
                (f"{self.events_path(calendar)}/{quote(event_id)}/instances", {}, start, end)
                for calendar, event_id, start, end in series
            ]
        )

    def _lists(
        self, reads: Sequence[tuple[str, dict[str, str], dt.datetime, dt.datetime]]
    ) -> list[list[dict[str, Any]] | GoogleError]:
        calls = [
            (
                "GET",
                path
                + "?"
                + urlencode(
                    {
                        **params,
                        "timeMin": start.isoformat(),
                        "timeMax": end.isoformat(),
                        "maxResults": EVENTS_PAGE,
                    }
                ),
                None,
            )
            for path, params, start, end in reads
        ]
        try:
            answers = self.batch(calls) if calls else []
        except GoogleError as exc:
            return [exc for _ in calls]
        return [
            list((body or {}).get("items") or []) if status < 400 else error_from_body(status, body)
            for status, body in answers
        ]

    def watch_events(
        self, calendar: str, channel_id: str, address: str, token: str, ttl_seconds: int
    ) -> dict[str, Any]:
        """events.watch: a push channel to `address` for the calendar's changes; Google sends
        `token` back in each notification's X-Goog-Channel-Token, for us to check."""
        url = f"{self.root}{self.events_path(calendar)}/watch"
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(ttl_seconds)},
        }
        return self.send("POST", url, json=body).json()

    def stop_channel(self, channel_id: str, resource_id: str) -> bool:
        """channels.stop; False when Google knew no such channel (stopped or expired)."""
        url = f"{self.root}/calendar/v3/channels/stop"
        try:
            self.send("POST", url, json={"id": channel_id, "resourceId": resource_id})
        except GoogleError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def free_busy(
        self, calendars: Sequence[str], start: dt.datetime, end: dt.datetime
    ) -> dict[str, list[tuple[dt.datetime, dt.datetime]] | GoogleError]:
        """Each calendar's busy times in [start, end), or the error Google gave for it (one
        it may not see, say); fifty calendars a call, as freeBusy allows."""
        found: dict[str, list[tuple[dt.datetime, dt.datetime]] | GoogleError] = {}
        for offset in range(0, len(calendars), FREEBUSY_CALENDARS):
            chunk = calendars[offset : offset + FREEBUSY_CALENDARS]
            answer = self.send(
                "POST",
                f"{self.root}/calendar/v3/freeBusy",
                json={
                    "timeMin": start.isoformat(),
                    "timeMax": end.isoformat(),
                    "items": [{"id": calendar} for calendar in chunk],
                },
                idempotent=True,  # a query: sending it again changes nothing
            ).json()
            for calendar in chunk:
                entry = (answer.get("calendars") or {}).get(calendar) or {}
                if entry.get("errors"):
                    reason = str(entry["errors"][0].get("reason", ""))
                    found[calendar] = GoogleError(
                        f"Google gave no free/busy for {calendar}: {reason}", code=reason
                    )
                    continue
                found[calendar] = [
                    (_moment(span["start"]), _moment(span["end"]))
                    for span in entry.get("busy") or []
                ]
        return found

    # --- batch -----------------------------------------------------------------------------

    def batch(self, calls: Sequence[tuple[str, str, Any]]) -> list[tuple[int, Any]]:
        """(method, path, JSON body or None) calls sent fifty to a batch request; each call's
        (status, decoded body), in order. A call counts against Google's quota as one of its
        own; what each answered is the caller's to read."""
        answers: list[tuple[int, Any]] = []
        for offset in range(0, len(calls), BATCH_CALLS):
            answers += self._batch_call(calls[offset : offset + BATCH_CALLS])
        return answers

    def _batch_call(self, calls: Sequence[tuple[str, str, Any]]) -> list[tuple[int, Any]]:
        boundary = "bb_batch_" + uuid.uuid4().hex
        parts = []
        for n, (method, path, body) in enumerate(calls):
            lines = [f"{method} {path} HTTP/1.1"]
            payload = ""
            if body is not None:
                payload = json.dumps(body)
                lines.append("Content-Type: application/json")
            parts.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <call-{n}>\r\n\r\n" + "\r\n".join(lines) + f"\r\n\r\n{payload}\r\n"
            )
        response = self.send(
            "POST",
            f"{self.root}/batch/calendar/v3",
            data=("".join(parts) + f"--{boundary}--\r\n").encode(),
            headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
            # Safe to send again only when every call is (a read, or an insert of our own id).
            idempotent=all(method == "GET" for method, _, _ in calls),
        )
        found = _batch_answers(response)
        return [found.get(n, (502, None)) for n in range(len(calls))]

    # --- the Directory ---------------------------------------------------------------------

    def calendar_resources(self) -> Iterator[dict[str, Any]]:
        """The domain's rooms (calendar resources), page by page."""
        page_token = ""
        while True:
            page = self.get(
                "/admin/directory/v1/customer/my_customer/resources/calendars",
                maxResults=RESOURCES_PAGE,
                **({"pageToken": page_token} if page_token else {}),
            )
            yield from page.get("items") or []
            page_token = page.get("nextPageToken") or ""
            if not page_token:
                return


def _moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _batch_answers(response: requests.Response) -> dict[int, tuple[int, Any]]:
    """Each call's answer in a multipart/mixed batch response, by its number."""
    match = re.search(r'boundary="?([^";]+)"?', response.headers.get("Content-Type", ""))
    if match is None:
        raise GoogleError("Google's batch answer is not multipart/mixed.", permanent=False)
    found: dict[int, tuple[int, Any]] = {}
    for chunk in response.content.split(b"--" + match.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, http_answer = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        number = re.search(rb"Content-ID:\s*<response-call-(\d+)>", head, re.IGNORECASE)
        status_line, _, rest = http_answer.partition(b"\r\n")
        _, _, body = rest.partition(b"\r\n\r\n")
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError):
            continue
        if number is not None:
            text = body.strip()
            found[int(number.group(1))] = (status, json.loads(text) if text else None)
    return found

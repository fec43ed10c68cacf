"""Microsoft Graph client: the only module that builds Graph URLs and headers.

Tokens come from msal (one ConfidentialClientApplication per tenant credentials per process,
whose cache keeps the token). Calls retry 429/503/504 after Retry-After (else back off with
jitter), at most four run at once per mailbox, `$batch` chunks by twenty, and delta queries
are followed page by page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import quote, urlencode

import msal
import requests
from django.conf import settings

from common.http_client import (
    RETRY_STATUSES,
    HttpClient,
    TransportError,
    json_or_none,
    missing_ca_bundle,
    retry_after_seconds,
)
from syncconnections.models import Tenant

GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
BATCH_SIZE = 20
MAILBOX_CONCURRENCY = 4
MAILBOX_SHARE_OF_A_BATCH = 3  # see batch_calls
DEFAULT_DELTA_PAGE_SIZE = 100
INSTANCES_PAGE = 500
CALENDAR_VIEW_PAGE = 200
CALENDAR_VIEW_FIELDS = (
    "id,subject,start,end,isAllDay,transactionId,isCancelled,showAs,organizer,iCalUId"
)
# getSchedule: free/busy of up to 20 mailboxes per call, over less than 62 days
# (outlook-get-free-busy-schedule.md); availabilityView slots of 5 to 1440 minutes.
SCHEDULES_PER_CALL = 20
SCHEDULE_PERIOD_LIMIT = dt.timedelta(days=62)
DEFAULT_VIEW_INTERVAL = 30
IN_UTC = {"Prefer": 'outlook.timezone="UTC"'}
# Token errors that no retry fixes: wrong secret, unknown app or tenant.
PERMANENT_TOKEN_ERRORS = {
    "invalid_client",
    "unauthorized_client",
    "invalid_tenant",
    "invalid_request",
    "invalid_scope",
    "unsupported_grant_type",
}
_MAILBOX = re.compile(r"^/?(?:users)/([^/?]+)", re.IGNORECASE)


class GraphError(TransportError):
    """A failed Graph call: HTTP status, Graph error code, message, request-id, permanence."""


class ResyncNeeded(GraphError):
    """The delta token is gone (410 / syncStateNotFound / resyncRequired): start over."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, permanent=False, **kwargs)


def _resync_or(exc: GraphError) -> GraphError:
    """A delta read's error: ResyncNeeded when it says the token is gone."""
    if exc.status == 410 or exc.code.lower() in ("syncstatenotfound", "resyncrequired"):
        return ResyncNeeded(
            exc.message, status=exc.status, code=exc.code, request_id=exc.request_id
        )
    return exc


# --- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    api_version: str = "v1.0"

    @classmethod
    def of(cls, tenant: Tenant) -> Credentials:
        return cls(
            tenant.directory_id, tenant.client_id, tenant.client_secret, tenant.graph_api_version
        )

    @property
    def cache_key(self) -> tuple[str, str, str]:
        secret_digest = hashlib.sha256(self.client_secret.encode()).hexdigest()
        return (self.tenant_id, self.client_id, secret_digest)


class _PinnedHttp:
    """What msal calls for HTTP: our session, with the CA bundle and timeouts pinned."""

    def __init__(self, verify: str | bool) -> None:
        self.verify = verify

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("POST", url, **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", (GraphClient.connect_timeout, GraphClient.read_timeout))
        return GraphClient.session().request(method, url, verify=self.verify, **kwargs)

    def close(self) -> None:
        """msal may close its client; the shared session stays open."""


class TokenProvider:
    """One msal application per credentials per process; msal's cache reuses its token."""

    _apps: dict[tuple[Any, ...], msal.ConfidentialClientApplication] = {}
    _lock = threading.Lock()

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.authority_host = settings.GRAPH_AUTHORITY_HOST
        self.verify = settings.GRAPH_CA_BUNDLE or True

    @property
    def _key(self) -> tuple[Any, ...]:
        return (self.authority_host, *self.credentials.cache_key)

    def _app(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            app = self._apps.get(self._key)
            if app is None:
                app = self._apps[self._key] = self._build()
            return app

    def _build(self) -> msal.ConfidentialClientApplication:
        authority = f"{self.authority_host}/{self.credentials.tenant_id}"
        try:
            return msal.ConfidentialClientApplication(
                self.credentials.client_id,
                client_credential=self.credentials.client_secret,
                authority=authority,
                http_client=_PinnedHttp(self.verify),
                # Microsoft's own hosts need no discovery; a stand-in host must skip it.
                instance_discovery="login.microsoftonline.com" in self.authority_host,
            )
        except ValueError as exc:  # tenant discovery refused: unknown tenant
            raise GraphError(
                f"Unknown tenant {self.credentials.tenant_id!r}: {first_line(exc)}",
                status=400,
                code="invalid_tenant",
                permanent=True,
            ) from None
        except requests.RequestException as exc:
            raise GraphError(
                f"The Microsoft identity platform could not be reached: {type(exc).__name__}",
                permanent=False,
            ) from None

    def token(self) -> str:
        problem = missing_ca_bundle(self.verify, GraphClient.ca_setting)
        if problem:
            raise GraphError(problem, permanent=False)
        try:
            result = self._app().acquire_token_for_client(scopes=GRAPH_SCOPES)
        except requests.RequestException as exc:
            raise GraphError(
                f"The Microsoft identity platform could not be reached: {type(exc).__name__}",
                permanent=False,
            ) from None
        if "access_token" in result:
            return result["access_token"]
        error = result.get("error", "token_error")
        raise GraphError(
            first_line(result.get("error_description") or error),
            code=error,
            status=400,
            permanent=error in PERMANENT_TOKEN_ERRORS,
        )

    def forget(self) -> None:
        """Drop the cached application (and its token): the next call signs in again."""
        with self._lock:
            self._apps.pop(self._key, None)

    @classmethod
    def forget_all(cls) -> None:
        with cls._lock:
            cls._apps.clear()


def first_line(value: Any) -> str:
    return str(value).strip().splitlines()[0] if str(value).strip() else ""


# --- requests -----------------------------------------------------------------------------


@dataclass
class BatchRequest:
    id: str
    method: str
    url: str  # relative to the API version, e.g. "/users/room@x.com/events"
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None

    @property
    def idempotent(self) -> bool:
        """Safe to send twice: reads, updates, deletes, and creates with a transactionId."""
        return self.method.upper() != "POST" or bool(self.body and "transactionId" in self.body)

    def as_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "method": self.method.upper(), "url": self.url}
        if self.body is not None:
            item["body"] = self.body
            item["headers"] = {"Content-Type": "application/json", **(self.headers or {})}
        elif self.headers:
            item["headers"] = self.headers
        return item


@dataclass
class BatchResult:
    id: str
    status: int
    body: Any
    error: GraphError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class DeltaPage:
    events: list[dict[str, Any]]
    next_link: str | None
    delta_link: str | None


class GraphClient(HttpClient):
    service = "Microsoft Graph"
    ca_setting = "GRAPH_CA_BUNDLE"
    error_class = GraphError
    _mailbox_slots: dict[str, threading.BoundedSemaphore] = {}
    _slots_lock = threading.Lock()

    def __init__(self, credentials: Credentials, **kwargs: Any) -> None:
        super().__init__(verify=settings.GRAPH_CA_BUNDLE or True, **kwargs)
        self.credentials = credentials
        self.tokens = TokenProvider(credentials)
        self.root = f"{settings.GRAPH_API_ROOT}/{credentials.api_version}"

    @classmethod
    def for_tenant(cls, tenant: Tenant, **kwargs: Any) -> GraphClient:
        return cls(Credentials.of(tenant), **kwargs)

    # --- HttpClient hooks ------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.tokens.token()}",
            "client-request-id": str(uuid.uuid4()),
        }

    def refresh_auth(self) -> bool:
        self.tokens.forget()
        return True

    def error_from(self, response: requests.Response) -> GraphError:
        return error_from_body(response.status_code, json_or_none(response), response.headers)

    # --- plumbing --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith("https://"):
            if not path.startswith(settings.GRAPH_API_ROOT + "/"):
                raise GraphError(
                    f"Refusing to follow a link outside Graph: {path[:80]}", permanent=True
                )
            return path
        return f"{self.root}/{path.lstrip('/')}"

    @contextmanager
    def _mailbox_slot(self, path: str) -> Iterator[None]:
        relative = path.removeprefix(self.root).removeprefix(settings.GRAPH_API_ROOT)
        mailbox = mailbox_of(re.sub(r"^/(v1\.0|beta)", "", relative))
        if mailbox is None:
            yield
            return
        key = (self.credentials.tenant_id, mailbox)
        with self._slots_lock:
            slot = self._mailbox_slots.setdefault(
                "|".join(key), threading.BoundedSemaphore(MAILBOX_CONCURRENCY)
            )
        with slot:
            yield

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request; the JSON answer (None when there is no body)."""
        url = self.url(path)
        with self._mailbox_slot(url):
            response = self.send(
                method, url, params=params, json=json, headers=headers, idempotent=idempotent
            )
        return json_or_none(response)

    # --- users, calendars, events ----------------------------------------------------------

    @staticmethod
    def user_path(mailbox: str) -> str:
        return f"/users/{quote(mailbox, safe='@')}"

    def get_user(self, mailbox: str) -> dict[str, Any]:
        return self.call("GET", self.user_path(mailbox))

    def first_user(self) -> dict[str, Any] | None:
        """One user of the tenant: the cheapest read that proves token and permission."""
        found = self.call("GET", "/users", params={"$top": 1, "$select": "id,mail"})
        return next(iter(found.get("value", [])), None)

    def default_calendar(self, mailbox: str) -> dict[str, Any]:
        return self.call("GET", f"{self.user_path(mailbox)}/calendar")

    def find_calendar(self, mailbox: str, name: str) -> dict[str, Any] | None:
        escaped = name.replace("'", "''")
        found = self.call(
            "GET",
            f"{self.user_path(mailbox)}/calendars",
            params={"$filter": f"name eq '{escaped}'"},
        )
        return next(iter(found.get("value", [])), None)

    def events_path(self, mailbox: str, calendar_id: str | None = None) -> str:
        base = self.user_path(mailbox)
        return f"{base}/calendars/{calendar_id}/events" if calendar_id else f"{base}/events"

    def create_event(
        self, mailbox: str, event: dict[str, Any], calendar_id: str | None = None
    ) -> dict[str, Any]:
        """Create an event. With a transactionId in the body a retried create returns the
        first event, so the call is retried even when a connection drops mid-write."""
        return self.call(
            "POST",
            self.events_path(mailbox, calendar_id),
            json=event,
            idempotent="transactionId" in event,
        )

    def event_path(self, mailbox: str, event_id: str) -> str:
        return f"{self.user_path(mailbox)}/events/{event_id}"

    def get_event(self, mailbox: str, event_id: str) -> dict[str, Any]:
        return self.call("GET", self.event_path(mailbox, event_id))

    def update_event(self, mailbox: str, event_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.call("PATCH", self.event_path(mailbox, event_id), json=changes)

    def delete_event(self, mailbox: str, event_id: str) -> None:
        self.call("DELETE", self.event_path(mailbox, event_id))

    def cancel_event(self, mailbox: str, event_id: str, comment: str = "") -> None:
        self.call(
            "POST",
            f"{self.event_path(mailbox, event_id)}/cancel",
            json={"comment": comment},
            idempotent=True,
        )

    def decline_event(self, mailbox: str, event_id: str, comment: str = "") -> None:
        """Decline an invitation in the attendee's calendar (its copy of the meeting): the
        organizer is told, and the meeting leaves that calendar. Not retried after a
        dropped connection: a second decline finds no event."""
        self.call("POST", f"{self.event_path(mailbox, event_id)}/decline", json=_decline(comment))

    def schedule_path(self, mailbox: str) -> str:
        return f"{self.user_path(mailbox)}/calendar/getSchedule"

    def get_schedule(
        self,
        mailbox: str,
        addresses: list[str],
        start: dt.datetime,
        end: dt.datetime,
        interval: int = DEFAULT_VIEW_INTERVAL,
    ) -> list[dict[str, Any]]:
        """Free/busy of `addresses` (at most twenty) from start to end: one
        scheduleInformation per address, in UTC. An address Graph cannot resolve comes back
        with an `error` entry, not as a failed call. Any mailbox of the tenant may ask
        (application permission); a read, so safe to send again."""
        answer = self.call(
            "POST",
            self.schedule_path(mailbox),
            json=_schedule_body(addresses, start, end, interval),
            headers=IN_UTC,
            idempotent=True,
        )
        return answer.get("value", [])

    def calendar_view_path(self, mailbox: str, calendar_id: str | None = None) -> str:
        base = self.user_path(mailbox) + (f"/calendars/{calendar_id}" if calendar_id else "")
        return f"{base}/calendarView"

    def calendar_view(
        self, mailbox: str, start: dt.datetime, end: dt.datetime, calendar_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self.all_pages(
            self.calendar_view_path(mailbox, calendar_id),
            {"startDateTime": _iso(start), "endDateTime": _iso(end)},
        )

    def all_pages(
        self,
        path: str = "",
        params: dict[str, Any] | None = None,
        first: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink to the end (from `first`,
        a page already fetched, e.g. by a batch)."""
        page = first if first is not None else self.call("GET", path, params=params)
        items = list(page.get("value", []))
        while page.get("@odata.nextLink"):
            page = self.call("GET", page["@odata.nextLink"])
            items.extend(page.get("value", []))
        return items

    # Requests for batch(): the same calls, built here so no other module builds Graph paths.

    def create_event_request(
        self, request_id: str, mailbox: str, event: dict[str, Any], calendar_id: str | None = None
    ) -> BatchRequest:
        return BatchRequest(request_id, "POST", self.events_path(mailbox, calendar_id), event)

    def update_event_request(
        self, request_id: str, mailbox: str, event_id: str, changes: dict[str, Any]
    ) -> BatchRequest:
        return BatchRequest(request_id, "PATCH", self.event_path(mailbox, event_id), changes)

    def get_event_request(self, request_id: str, mailbox: str, event_id: str) -> BatchRequest:
        return BatchRequest(request_id, "GET", self.event_path(mailbox, event_id))

    def delete_event_request(self, request_id: str, mailbox: str, event_id: str) -> BatchRequest:
        return BatchRequest(request_id, "DELETE", self.event_path(mailbox, event_id))

    def decline_event_request(
        self, request_id: str, mailbox: str, event_id: str, comment: str = ""
    ) -> BatchRequest:
        return BatchRequest(
            request_id, "POST", f"{self.event_path(mailbox, event_id)}/decline", _decline(comment)
        )

    def schedule_request(
        self,
        request_id: str,
        mailbox: str,
        addresses: list[str],
        start: dt.datetime,
        end: dt.datetime,
        interval: int = DEFAULT_VIEW_INTERVAL,
    ) -> BatchRequest:
        """get_schedule() for batch(): its body's "value" is the scheduleInformation list."""
        return BatchRequest(
            request_id,
            "POST",
            self.schedule_path(mailbox),
            _schedule_body(addresses, start, end, interval),
            headers=dict(IN_UTC),
        )

    def instances_request(
        self, request_id: str, mailbox: str, event_id: str, start: dt.datetime, end: dt.datetime
    ) -> BatchRequest:
        """The first page of a series' instances; follow its nextLink with all_pages()."""
        query = urlencode(
            {"startDateTime": _iso(start), "endDateTime": _iso(end), "$top": INSTANCES_PAGE}
        )
        return BatchRequest(
            request_id, "GET", f"{self.event_path(mailbox, event_id)}/instances?{query}"
        )

    def calendar_view_request(
        self,
        request_id: str,
        mailbox: str,
        start: dt.datetime,
        end: dt.datetime,
        calendar_id: str | None = None,
    ) -> BatchRequest:
        """The first page of a calendar's events and occurrences overlapping start–end;
        follow its nextLink with all_pages(). Times come back in UTC whatever the mailbox's
        own time zone, so they compare with ours without a zone table."""
        query = urlencode(
            {
                "startDateTime": _iso(start),
                "endDateTime": _iso(end),
                "$top": CALENDAR_VIEW_PAGE,
                "$select": CALENDAR_VIEW_FIELDS,
            }
        )
        return BatchRequest(
            request_id,
            "GET",
            f"{self.calendar_view_path(mailbox, calendar_id)}?{query}",
            headers={"Prefer": 'outlook.timezone="UTC"'},
        )

    # --- delta -----------------------------------------------------------------------------

    def delta_pages(
        self,
        mailbox: str,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        link: str | None = None,
        calendar_id: str | None = None,
        page_size: int = DEFAULT_DELTA_PAGE_SIZE,
        first: BatchResult | None = None,
    ) -> Iterator[DeltaPage]:
        """Yield delta pages until the one carrying the deltaLink.

        Start a sync with start/end, or resume from a stored next or delta link. A named
        calendar needs Graph's beta endpoint. Raises ResyncNeeded when the token is gone.
        `first`: the first page's answer, already fetched in a `$batch` (delta_request)."""
        headers = {"Prefer": f"odata.maxpagesize={page_size}"}
        if first is not None:
            if first.error is not None:
                raise _resync_or(first.error)
            page = first.body if isinstance(first.body, dict) else {}
            next_link, delta_link = page.get("@odata.nextLink"), page.get("@odata.deltaLink")
            yield DeltaPage(page.get("value", []), next_link, delta_link)
            if not next_link:
                return
            link = next_link
        if link:
            url, params = link, None
        else:
            if start is None or end is None:
                raise ValueError("A delta query starts with a start and end, or a link.")
            path = f"{self.user_path(mailbox)}/calendarView/delta"
            if calendar_id:
                path = (
                    f"{settings.GRAPH_API_ROOT}/beta{self.user_path(mailbox)}"
                    f"/calendars/{calendar_id}/calendarView/delta"
                )
            url, params = path, {"startDateTime": _iso(start), "endDateTime": _iso(end)}
        while url:
            try:
                page = self.call("GET", url, params=params, headers=headers)
            except GraphError as exc:
                resync = _resync_or(exc)
                if resync is exc:
                    raise
                raise resync from exc
            next_link, delta_link = page.get("@odata.nextLink"), page.get("@odata.deltaLink")
            yield DeltaPage(page.get("value", []), next_link, delta_link)
            url, params = next_link, None

    def delta_request(
        self,
        request_id: str,
        mailbox: str,
        *,
        start: dt.datetime,
        end: dt.datetime,
        link: str | None = None,
        page_size: int = DEFAULT_DELTA_PAGE_SIZE,
    ) -> BatchRequest | None:
        """The first page of delta_pages() (default calendar) for batch(), so that the reads
        of many mailboxes share one round trip; None for a link batch() cannot carry."""
        headers = {"Prefer": f"odata.maxpagesize={page_size}"}
        if link:
            if not link.startswith(self.root + "/"):
                return None
            return BatchRequest(request_id, "GET", link.removeprefix(self.root), headers=headers)
        query = urlencode({"startDateTime": _iso(start), "endDateTime": _iso(end)})
        path = f"{self.user_path(mailbox)}/calendarView/delta?{query}"
        return BatchRequest(request_id, "GET", path, headers=headers)

    # --- subscriptions ---------------------------------------------------------------------

    def create_subscription(self, subscription: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/subscriptions", json=subscription)

    def create_subscription_request(
        self, request_id: str, subscription: dict[str, Any]
    ) -> BatchRequest:
        """create_subscription() for batch()."""
        return BatchRequest(request_id, "POST", "/subscriptions", subscription)

    def renew_subscription(self, subscription_id: str, expires: dt.datetime) -> dict[str, Any]:
        return self.call(
            "PATCH", f"/subscriptions/{subscription_id}", json={"expirationDateTime": _iso(expires)}
        )

    def renew_subscription_request(
        self, request_id: str, subscription_id: str, expires: dt.datetime
    ) -> BatchRequest:
        """renew_subscription() for batch()."""
        return BatchRequest(
            request_id,
            "PATCH",
            f"/subscriptions/{subscription_id}",
            {"expirationDateTime": _iso(expires)},
        )

    def delete_subscription(self, subscription_id: str) -> None:
        self.call("DELETE", f"/subscriptions/{subscription_id}")

    def list_subscriptions(self) -> list[dict[str, Any]]:
        """The subscriptions this app made in the tenant (subscription-list.md)."""
        return self.all_pages("/subscriptions")

    # --- places ----------------------------------------------------------------------------

    def room_lists(self) -> list[dict[str, Any]]:
        return self.call("GET", "/places/microsoft.graph.roomlist").get("value", [])

    def rooms(self, room_list: str | None = None) -> list[dict[str, Any]]:
        path = (
            f"/places/{quote(room_list, safe='@')}/microsoft.graph.roomlist/rooms"
            if room_list
            else "/places/microsoft.graph.room"
        )
        return self.call("GET", path).get("value", [])

    # --- $batch ----------------------------------------------------------------------------

    def batch(self, requests_: list[BatchRequest]) -> list[BatchResult]:
        """Run requests in $batch calls (see batch_calls); throttled ones are sent again after
        the longest Retry-After among them, and those a failed one stopped (424) at once.
        Results come back in the order asked."""
        results: dict[str, BatchResult] = {}
        for chunk, sequential in batch_calls(requests_):
            pending, attempt = chunk, 0
            while pending:
                answer = self.call(
                    "POST",
                    "/$batch",
                    json={"requests": batch_body(pending, sequential)},
                    idempotent=all(r.idempotent for r in pending),
                )
                by_id = {str(a.get("id")): a for a in answer.get("responses", [])}
                again, throttled, waits = [], [], []
                for n, request in enumerate(pending):
                    inner = by_id.get(request.id, {"status": 502, "body": None})
                    status = int(inner.get("status", 502))
                    if status == 424 and sequential and n > 0:
                        again.append(request)  # not run: one before it failed
                        continue
                    if status in RETRY_STATUSES and attempt < self.max_retries:
                        throttled.append(request)
                        waits.append(retry_after_seconds(inner.get("headers")))
                        continue
                    error = (
                        error_from_body(status, inner.get("body"), inner.get("headers"))
                        if status >= 400
                        else None
                    )
                    results[request.id] = BatchResult(request.id, status, inner.get("body"), error)
                if throttled:
                    known = [w for w in waits if w is not None]
                    longest = max(known) if known else None
                    if longest is not None and longest > self.max_inline_wait:
                        # Not slept through: the caller defers these by all of it.
                        for request in throttled:
                            inner = by_id[request.id]
                            error = error_from_body(
                                int(inner["status"]), inner.get("body"), inner.get("headers")
                            )
                            error.retry_after = longest
                            results[request.id] = BatchResult(
                                request.id, error.status or 0, inner.get("body"), error
                            )
                        throttled = []
                    else:
                        self.sleep(longest if longest is not None else self.backoff(attempt))
                        attempt += 1
                resent = {r.id for r in throttled + again}
                pending = [r for r in chunk if r.id in resent]
        return [results[r.id] for r in requests_]


def mailbox_of(url: str) -> str | None:
    """The mailbox a request goes to (its /users/{id} segment), if any."""
    found = _MAILBOX.match(url.lstrip("/"))
    return found.group(1).lower() if found else None


def batch_calls(requests_: list[BatchRequest]) -> Iterator[tuple[list[BatchRequest], bool]]:
    """The $batch calls for these requests, each with whether it runs sequentially.

    Graph runs up to four of a parallel batch's requests at once, whatever their mailbox,
    and takes four at a time for one mailbox from an app (the fifth is answered 429
    MailboxConcurrency): so a parallel call holds at most three requests per mailbox, leaving
    one for the mailbox's Sync Down read. A mailbox's further requests go in later calls, in
    the order asked. A pile of writes on fewer mailboxes than half a call's worth (a room's
    first push) goes in sequential calls of twenty instead, each request depending on the
    one before (one at a time), rather than in calls of three; reads stay parallel, as a read
    answered 404 (a removed event checked) would stop the ones after it. Graph takes a batch
    only fully parallel or fully sequential."""
    rest = list(requests_)
    while rest:
        spread: list[BatchRequest] = []
        taken: dict[str, int] = {}
        for request in rest:
            key = mailbox_of(request.url)
            if key is None or taken.get(key, 0) < MAILBOX_SHARE_OF_A_BATCH:
                spread.append(request)
                if key is not None:
                    taken[key] = taken.get(key, 0) + 1
            if len(spread) == BATCH_SIZE:
                break
        head = rest[:BATCH_SIZE]
        if (
            len(spread) == len(rest)
            or len(spread) >= BATCH_SIZE // 2
            or any(r.method.upper() == "GET" for r in head)
        ):
            chosen = set(map(id, spread))
            rest = [r for r in rest if id(r) not in chosen]
            yield spread, False
        else:
            yield head, True
            rest = rest[BATCH_SIZE:]


def batch_body(requests_: list[BatchRequest], sequential: bool) -> list[dict[str, Any]]:
    body = [r.as_json() for r in requests_]
    if sequential:
        for before, item in pairwise(body):
            item["dependsOn"] = [before["id"]]
    return body


def error_from_body(status: int, body: Any, headers: Any = None) -> GraphError:
    """A GraphError from Graph's {"error": {"code", "message", "innerError"}} body; a
    throttled one carries its Retry-After."""
    error = body.get("error") if isinstance(body, dict) else None
    retry_after = retry_after_seconds(headers) if status in RETRY_STATUSES else None
    if not isinstance(error, dict):
        text = body if isinstance(body, str) else ""
        return GraphError(
            text[:300] or f"HTTP {status}",
            status=status,
            request_id=(headers or {}).get("request-id", ""),
            retry_after=retry_after,
        )
    inner = error.get("innerError") or {}
    return GraphError(
        str(error.get("message") or f"HTTP {status}"),
        status=status,
        code=str(error.get("code", "")),
        request_id=inner.get("request-id") or (headers or {}).get("request-id", ""),
        retry_after=retry_after,
    )


def parse_datetime(value: str) -> dt.datetime:
    """A Graph timestamp ("2026-11-28T10:00:00.1234567Z") as an aware datetime."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _decline(comment: str) -> dict[str, Any]:
    return {"comment": comment, "sendResponse": True}


def _schedule_body(
    addresses: list[str], start: dt.datetime, end: dt.datetime, interval: int
) -> dict[str, Any]:
    if len(addresses) > SCHEDULES_PER_CALL:
        raise ValueError(f"getSchedule takes at most {SCHEDULES_PER_CALL} addresses a call.")
    return {
        "schedules": list(addresses),
        "startTime": _utc_time(start),
        "endTime": _utc_time(end),
        "availabilityViewInterval": interval,
    }


def _utc_time(moment: dt.datetime) -> dict[str, str]:
    return {"dateTime": moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

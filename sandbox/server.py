"""The sandbox process: one HTTPS origin serving identity, Graph, Rover and the control API."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

from sandbox import (
    control,
    google_api,
    google_calendar,
    graph_api,
    identity,
    rover_api,
    subscriptions,
)
from sandbox.calendar import InvalidEvent, UnsupportedTimeZone
from sandbox.certs import Certificates, generate
from sandbox.notifier import Notifier
from sandbox.state import State
from sandbox.web import HttpError, Request, Response, Router

logger = logging.getLogger(__name__)

MAX_BATCH = 20
SAVE_EVERY = 1.0  # seconds between saves of a changed world (with a state file)
MAILBOX_CONCURRENCY = 4  # Graph: concurrent requests per app per mailbox
_MAILBOX_IN_PATH = re.compile(r"^/(?:v1\.0|beta)/users/([^/]+)", re.IGNORECASE)
DROP = object()  # answer nothing: the connection is closed


class SandboxApp:
    def __init__(self, state: State | None = None) -> None:
        self.state = state or State()
        self.notifier = Notifier()
        self.state.on_event_change = lambda mailbox, event, change, event_id: (
            subscriptions.notify_event_change(self, mailbox, event, change, event_id)
        )
        self.router = Router()
        # The control API, Rover and Google first: identity's "/{tenant}/…" would match anything.
        for module in (control, rover_api, google_api, google_calendar, graph_api, identity):
            self.router.include(module.router)
        self.changes = 0  # requests that may have changed the world (all but GETs)
        self._in_flight: dict[str, int] = {}
        self.peak_in_flight: dict[str, int] = {}  # per mailbox, since the log was cleared
        self.in_flight_lock = threading.Lock()
        self.public_origin: str | None = None

    def origin(self, request: Request) -> str:
        return self.public_origin or f"https://{request.header('Host', '127.0.0.1')}"

    # --- the request pipeline ---------------------------------------------------------------

    def handle(self, request: Request, *, inner: bool = False) -> Response | object:
        request.request_id = str(uuid.uuid4())
        if request.method != "GET":
            self.changes += 1
        started, started_at = time.monotonic(), time.time()
        logged = not request.path.startswith("/_sandbox/")
        # Graph-like round trips: half the latency before the request is handled, half
        # after (the answer's way back), so what it changes (and notifies) happens midway.
        latency = 0.0 if inner or not logged else float(self.state.settings["latency"])
        with self._mailbox_in_flight(request, inner) as over:
            time.sleep(latency / 2)
            if over and not _is_batch(request):
                response = self.throttled(request)
            else:
                request.over_limit = over  # a batch answers that many of its requests 429
                response = self.serve(request, logged)
            time.sleep(latency / 2)
        if not inner and self._notifies_first(request):
            # Nothing orders Graph's notification of a write after its answer: deliver first.
            self.notifier.wait_idle()
        if isinstance(response, Response):
            response.headers.setdefault("request-id", request.request_id)
            response.headers.setdefault(
                "client-request-id", request.header("client-request-id") or request.request_id
            )
        if logged:
            with self.state.lock:
                self.state.log_request(
                    method=request.method,
                    path=request.path,
                    query=request.query,
                    status=response.status if isinstance(response, Response) else None,
                    started_at=started_at,
                    duration_ms=round((time.monotonic() - started) * 1000, 1),
                    inner=inner,
                    request_id=request.request_id,
                    body=_loggable_body(request),
                )
        return response

    def _notifies_first(self, request: Request) -> bool:
        if not (
            request.method in ("POST", "PATCH", "DELETE")
            and request.path.startswith(("/v1.0/", "/beta/"))
            and self.state.settings.get("notify_before_answer", False)
        ):
            return False
        if re.match(r"^/(v1\.0|beta)/\$batch/?$", request.path):  # a write only if it holds one
            try:
                inner = graph_api.body_of(request).get("requests") or []
                return any(str(i.get("method", "GET")).upper() != "GET" for i in inner)
            except (HttpError, AttributeError):  # refused as a bad batch: nothing written
                return False
        return True

    def serve(self, request: Request, faults_apply: bool) -> Response | object:
        """Answer the request, unless an injected fault says otherwise."""
        fault = None
        if faults_apply:
            with self.state.lock:
                fault = self.state.take_fault(request.method, request.path)
        if fault and fault.kind == "delay":
            time.sleep(fault.seconds)
        if fault and fault.kind == "drop":
            return DROP
        if fault and fault.kind == "status":
            return self.fault_response(
                request, fault.status, fault.code, fault.message, fault.retry_after
            )
        response = self.dispatch(request)
        return DROP if fault and fault.kind == "drop_after_write" else response

    @contextmanager
    def _mailbox_in_flight(self, request: Request, inner: bool) -> Iterator[dict[str, int]]:
        """Count the requests running for each mailbox while this one runs, and the highest
        count each mailbox reached (`peak_in_flight`); yields the mailboxes this request takes
        over Graph's limit of four, with how many of its requests are over."""
        shares = {} if inner else _mailbox_shares(request)
        over: dict[str, int] = {}
        with self.in_flight_lock:
            for key, share in shares.items():
                count = self._in_flight.get(key, 0) + share
                self._in_flight[key] = count
                self.peak_in_flight[key] = max(self.peak_in_flight.get(key, 0), count)
                if count > MAILBOX_CONCURRENCY:
                    over[key] = min(share, count - MAILBOX_CONCURRENCY)
        try:
            yield over
        finally:
            with self.in_flight_lock:
                for key, share in shares.items():
                    self._in_flight[key] -= share

    def throttled(self, request: Request) -> Response:
        # Graph's answer to a fifth concurrent request for one mailbox.
        return graph_api.graph_error(
            request,
            429,
            "ApplicationThrottled",
            "Application is over its MailboxConcurrency limit.",
            {"Retry-After": "1"},
        )

    def dispatch(self, request: Request) -> Response:
        if _is_batch(request):
            return self.batch(request)
        matched = self.router.match(request.method, request.path)
        if matched is None:
            status = 405 if self.router.allows_path(request.path) else 404
            return self.fault_response(
                request,
                status,
                "BadRequest" if status == 405 else "ResourceNotFound",
                f"No {request.method} {request.path} here.",
            )
        handler, request.params = matched
        try:
            return handler(self, request)
        except HttpError as exc:
            return exc.response
        except (InvalidEvent, UnsupportedTimeZone) as exc:
            return graph_api.event_error(request, exc).response
        except Exception:  # a bug in the sandbox: say so like a server would
            logger.exception("sandbox handler failed: %s %s", request.method, request.path)
            return self.fault_response(
                request, 500, "InternalServerError", "The sandbox failed to handle this request."
            )

    def fault_response(
        self, request: Request, status: int, code: str, message: str, retry_after: int | None = None
    ) -> Response:
        """An error in the body shape of the service the path belongs to."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        code = code or {
            429: "TooManyRequests",
            503: "ServiceUnavailable",
            504: "GatewayTimeout",
            410: "SyncStateNotFound",
        }.get(status, "Error")
        message = message or f"Injected fault: {status}"
        if request.path.startswith("/connect/"):
            response = rover_api.errors(status, code.upper(), message)
        elif request.path.startswith(("/v1.0/", "/beta/")):
            response = graph_api.graph_error(request, status, code, message)
        elif request.path.startswith(("/calendar/", "/admin/directory/", "/batch/")):
            # Google's shape; `code` is its reason (rateLimitExceeded, backendError, …).
            response = google_api.api_error(status, code, message)
        else:
            response = identity.oauth_error(status, code, message, [])
        response.headers.update(headers)
        return response

    def batch(self, request: Request) -> Response:
        """JSON batching as json-batching.md describes it: up to twenty requests, either all
        parallel or each depending on the one before (`dependsOn`); a request whose
        dependency failed is answered 424 and not run."""
        body = graph_api.body_of(request)
        inner_requests = body.get("requests")
        if not isinstance(inner_requests, list) or not inner_requests:
            return graph_api.graph_error(
                request, 400, "BadRequest", "A batch needs a non-empty 'requests' list."
            )
        if len(inner_requests) > MAX_BATCH:
            return graph_api.graph_error(
                request,
                400,
                "BadRequest",
                f"The number of requests in a batch cannot exceed {MAX_BATCH}.",
            )
        if _order(inner_requests) is None:
            return graph_api.graph_error(
                request,
                400,
                "BadRequest",
                "Batch should be either fully sequential or fully parallel.",
            )
        version = request.path.split("/")[1]
        over = _over_limit(inner_requests, request.over_limit)
        status_of: dict[str, int] = {}
        answers = []
        for n, item in enumerate(inner_requests):
            headers = Message()
            headers["Authorization"] = request.header("Authorization")
            for name, value in (item.get("headers") or {}).items():
                headers[name] = value
            payload = item.get("body")
            inner = Request.from_target(
                item.get("method", "GET"),
                f"/{version}/{str(item.get('url', '')).lstrip('/')}",
                headers,
                json.dumps(payload).encode() if payload is not None else b"",
            )
            if any(status_of.get(str(d), 0) >= 400 for d in item.get("dependsOn") or []):
                answer: Response | object = graph_api.graph_error(
                    inner, 424, "FailedDependency", "A request it depends on failed."
                )
            elif n in over:
                answer = self.throttled(inner)
            else:
                answer = self.handle(inner, inner=True)
            if not isinstance(answer, Response):
                answer = graph_api.graph_error(inner, 504, "GatewayTimeout", "No answer.")
            status_of[str(item.get("id"))] = answer.status
            answers.append(
                {
                    "id": item.get("id"),
                    "status": answer.status,
                    "headers": {
                        k: v
                        for k, v in answer.headers.items()
                        if k in ("Retry-After", "Content-Type", "Location")
                    },
                    "body": answer.data() if answer.body else None,
                }
            )
        return Response.json(200, {"responses": answers})


def _is_batch(request: Request) -> bool:
    return request.method == "POST" and bool(re.match(r"^/(v1\.0|beta)/\$batch/?$", request.path))


def _order(inner_requests: list[Any]) -> str | None:
    """ "parallel" (no dependsOn) or "sequential" (each after the first depends on the one
    before it); None for anything else, which Graph refuses."""
    if not all(isinstance(item, dict) for item in inner_requests):
        return "parallel"  # refused request by request
    depends = [item.get("dependsOn") for item in inner_requests]
    if not any(depends):
        return "parallel"
    if depends[0]:
        return None
    for before, item in pairwise(inner_requests):
        if item.get("dependsOn") != [before.get("id")]:
            return None
    return "sequential"


def _inner_mailbox(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    found = _MAILBOX_IN_PATH.match("/v1.0/" + str(item.get("url", "")).lstrip("/"))
    return found.group(1).lower() if found else None


def _mailbox_shares(request: Request) -> dict[str, int]:
    """How many requests this one has running in each mailbox at once. A batch: Graph
    dispatches up to four of its requests to Outlook simultaneously, whatever their
    mailbox (one at a time when sequential), so a mailbox's share is its requests, at most
    four."""
    if not _is_batch(request):
        found = _MAILBOX_IN_PATH.match(request.path)
        return {found.group(1).lower(): 1} if found else {}
    try:
        inner_requests = graph_api.body_of(request).get("requests")
    except HttpError:
        return {}
    if not isinstance(inner_requests, list) or len(inner_requests) > MAX_BATCH:
        return {}
    counts: dict[str, int] = {}
    for item in inner_requests:
        if (key := _inner_mailbox(item)) is not None:
            counts[key] = counts.get(key, 0) + 1
    at_once = 1 if _order(inner_requests) == "sequential" else MAILBOX_CONCURRENCY
    return {key: min(count, at_once) for key, count in counts.items()}


def _over_limit(inner_requests: list[Any], over: dict[str, int]) -> set[int]:
    """The positions of the batched requests answered 429: each mailbox's last ones."""
    left = dict(over)
    found = set()
    for n in reversed(range(len(inner_requests))):
        key = _inner_mailbox(inner_requests[n])
        if key is not None and left.get(key, 0) > 0:
            left[key] -= 1
            found.add(n)
    return found


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BookbridgeSandbox/1.0"
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request.from_target(self.command, self.path, self.headers, body)
        result = self.server.app.handle(request)
        if result is DROP or not isinstance(result, Response):
            self.close_connection = True
            return
        self.send_response(result.status)
        for name, value in result.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(result.body)))
        self.end_headers()
        if result.body and self.command != "HEAD":
            self.wfile.write(result.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SandboxApp, context: ssl.SSLContext):
        super().__init__(address, _Handler)
        self.app = app
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the connection's own thread, never in the accept loop.
        try:
            request.do_handshake()
            # An answer goes out as headers, then body: with Nagle's algorithm the body waits
            # for the client's delayed ACK of the headers, some 40 ms a request on loopback,
            # which no Graph answer has (the `latency` setting stands for the network).
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug(
            "sandbox connection from %s ended with an error", client_address, exc_info=True
        )


class SandboxServer:
    """Start with .start(); the origin is .url and the CA certificate is at .ca_file."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8443,
        ca_file: str | Path = ".sandbox/ca.pem",
        app: SandboxApp | None = None,
        state_file: str | Path | None = None,
    ) -> None:
        self.app = app or SandboxApp()
        # With a state file the world outlives the process: loaded now, saved within a
        # second of each change and when stopped (the database keeps the ids it holds).
        self.state_file = Path(state_file) if state_file else None
        self._stopping = threading.Event()
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            self.app.state.load(self.state_file)
        self.certificates: Certificates = generate((host, "localhost"))
        self._server = _Server((host, port), self.app, self.certificates.server_context())
        # Only once the port is ours: a sandbox that cannot start must not replace the
        # certificate clients of a running one trust. Atomically: never half a file.
        self.ca_file = Path(ca_file)
        self.ca_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.ca_file.with_name(f".{self.ca_file.name}.{os.getpid()}.tmp")
        partial.write_bytes(self.certificates.ca_pem)
        os.replace(partial, self.ca_file)
        self.host, self.port = host, self._server.server_address[1]
        self.url = f"https://{host}:{self.port}"
        self.app.public_origin = self.url
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox", daemon=True
        )
        self._thread.start()
        self._start_saving()
        return self

    def serve_forever(self) -> None:
        self._start_saving()
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.app.notifier.stop()
        self._stopping.set()
        self.save()

    def save(self) -> None:
        if self.state_file is not None:
            self.app.state.save(self.state_file)

    def _start_saving(self) -> None:
        if self.state_file is None:
            return

        def keep_saving() -> None:
            saved = self.app.changes
            while not self._stopping.wait(SAVE_EVERY):
                if self.app.changes != saved:
                    saved = self.app.changes
                    self.save()

        threading.Thread(target=keep_saving, name="sandbox-saver", daemon=True).start()


def _loggable_body(request: Request) -> Any:
    """A JSON request body, for tests that check what was sent (never a form: secrets)."""
    if not request.body or len(request.body) > 20_000:
        return None
    if "json" not in request.header("Content-Type", "application/json"):
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

"""Calls the sandbox makes to subscribers: validation handshakes and notifications."""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

logger = logging.getLogger(__name__)
HANDSHAKE_TIMEOUT = 10  # seconds Graph waits for the validation answer
DELIVERY_TIMEOUT = 10


class Notifier:
    """Delivers notifications in the background and remembers each delivery: one at a time
    and in order by default; `resize(n)` delivers up to n at once, as Graph does (it promises
    no order, and a slow endpoint then holds up only one delivery)."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.deliveries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[
            tuple[str, dict[str, Any] | None, float, dict[str, str]] | None
        ] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self.resize(1)

    def resize(self, deliverers: int) -> None:
        """Deliver up to `deliverers` notifications at once."""
        with self._lock:
            while len(self._workers) < deliverers:
                worker = threading.Thread(target=self._run, name="sandbox-notifier", daemon=True)
                worker.start()
                self._workers.append(worker)
            while len(self._workers) > deliverers:
                self._workers.pop()
                self._queue.put(None)  # one worker ends

    def handshake(self, url: str) -> str | None:
        """Graph's validation request; None when it passed, else why it failed."""
        token = f"Validation: Testing client application reachability {secrets.token_hex(8)}"
        try:
            answer = self.session.post(
                url,
                params={"validationToken": token},
                headers={"Content-Type": "text/plain; charset=utf-8"},
                timeout=HANDSHAKE_TIMEOUT,
            )
        except requests.RequestException as exc:
            return (
                f"Subscription validation request failed. Notification endpoint must respond "
                f"with 200 OK to validation request. ({type(exc).__name__})"
            )
        if answer.status_code != 200:
            return (
                "Subscription validation request failed. Notification endpoint must respond "
                f"with 200 OK to validation request (got {answer.status_code})."
            )
        if answer.text != token:
            return (
                "Subscription validation request failed. Response must exactly match "
                "validationToken query parameter."
            )
        return None

    def deliver_now(
        self, url: str, payloads: list[dict[str, Any]], seconds: float, concurrency: int
    ) -> list[dict[str, Any]]:
        """Deliver the payloads spread evenly over `seconds`, up to `concurrency` at a time
        (Graph delivers in parallel and at least once); what each delivery got back."""
        started = time.monotonic()
        step = seconds / max(1, len(payloads))

        def one(index: int) -> dict[str, Any]:
            delay = started + index * step - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            begun = time.monotonic()
            try:
                answer = requests.post(url, json=payloads[index], timeout=DELIVERY_TIMEOUT)
                status, error = answer.status_code, ""
            except requests.RequestException as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            return {
                "status": status,
                "error": error,
                "duration_ms": round((time.monotonic() - begun) * 1000, 1),
                "answered_at": time.time(),
            }

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(one, range(len(payloads))))

    def send(
        self, url: str, payload: dict[str, Any] | None, headers: dict[str, str] | None = None
    ) -> None:
        """Queue a POST of the payload as JSON, or with no body (None) and only `headers`,
        as Google's push notifications come."""
        self._queue.put((url, payload, time.time(), headers or {}))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once everything queued has been delivered (or has failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False

    def history(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.deliveries)

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            url, payload, queued_at, headers = item
            started = time.monotonic()
            try:
                body = {"json": payload} if payload is not None else {"data": b""}
                answer = self.session.post(url, headers=headers, timeout=DELIVERY_TIMEOUT, **body)
                status, error = answer.status_code, ""
            except requests.RequestException as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            record = {
                "url": url,
                "payload": payload,
                "headers": headers,
                "status": status,
                "error": error,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "queued_at": queued_at,
                "delivered_at": time.time(),
            }
            with self._lock:
                self.deliveries.append(record)
            if error:
                logger.info("notification to %s failed: %s", url, error)
            self._queue.task_done()

    def stop(self) -> None:
        self.resize(0)

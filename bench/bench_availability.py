"""Find a free room among 200 rooms of one location, every room's calendar connected.

The sandbox takes 0.1 s for every call (its `latency` setting; BENCH_LATENCY=0 leaves it
out, to see our own cost), as Graph over the internet does. A quarter of the rooms hold a
reservation in the hour asked, another quarter an Outlook meeting. Figures over 30 runs,
after one that fetches the token: wall time (p50, p95, max), getSchedule calls per run and
how many ran at once, database queries per run.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import statistics
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.counting import counting_queries

ROOMS = 200
RUNS = 30
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.1"))  # seconds; 0: our own cost alone
ZONE = ZoneInfo("Europe/Amsterdam")
START = dt.datetime(2027, 3, 1, 10, tzinfo=ZONE)
END = START + dt.timedelta(hours=1)


def run(folder: str) -> list[tuple[str, str]]:
    from django.conf import settings
    from django.db import connection
    from django_q.conf import Conf

    from sandbox.client import SandboxControl
    from sandbox.server import SandboxServer
    from syncconnections import availability

    server = SandboxServer(port=0, ca_file=Path(folder) / "ca.pem").start()
    settings.GRAPH_API_ROOT = settings.GRAPH_AUTHORITY_HOST = server.url
    settings.GRAPH_CA_BUNDLE = str(server.ca_file)
    Conf.SYNC = False  # reservations are queued for Outlook, not pushed
    control = SandboxControl(server.url, str(server.ca_file))
    try:
        location = _rooms(control)
        availability.free_rooms(location, START, END)  # the token, once
        control.settings(latency=LATENCY)
        control.clear_requests()
        walls, queries = [], []
        for _ in range(RUNS):
            began = time.perf_counter()
            with counting_queries() as counted:
                results = availability.free_rooms(location, START, END)
            walls.append(time.perf_counter() - began)
            queries.append(counted.count)
        calls = [r for r in control.requests() if r["path"].endswith("/getSchedule")]
        free = sum(r.free for r in results)
        assert len(results) == ROOMS and free == ROOMS // 2, (len(results), free)
        assert all(r.outlook == availability.CHECKED for r in results)
        return [
            ("rooms (connected)", f"{ROOMS} ({ROOMS})"),
            ("free / busy", f"{free} / {ROOMS - free}"),
            ("Graph latency per call (sandbox)", f"{LATENCY * 1000:.0f} ms"),
            ("runs", f"{RUNS}"),
            ("p50 wall time", _ms(statistics.median(walls))),
            ("p95 wall time (target < 300 ms)", _ms(_percentile(walls, 95))),
            ("max wall time", _ms(max(walls))),
            ("getSchedule calls per run", f"{len(calls) / RUNS:g}"),
            ("minimum (20 rooms per call)", f"{math.ceil(ROOMS / 20)}"),
            ("most getSchedule calls at once (target ≤ 10)", f"{_most_at_once(calls)}"),
            ("DB queries per run", f"{min(queries)}–{max(queries)}"),
            ("database", connection.vendor),
        ]
    finally:
        server.stop()


def _rooms(control):  # type: ignore[no-untyped-def]
    """200 connected rooms; the first quarter booked in Bookbridge, the second in Outlook."""
    from bookings.models import Location, Reservation, Resource
    from syncconnections.models import SyncConnection, Tenant, UserType

    tenant = Tenant.objects.create(
        name="Bench",
        directory_id="sandbox",
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        email_domains="bench.test",
    )
    location = Location.objects.create(name="Bench HQ", time_zone="Europe/Amsterdam")
    rooms = Resource.objects.bulk_create(
        Resource(location=location, name=f"Room {n:03}", mailbox_email=f"room{n}@bench.test")
        for n in range(ROOMS)
    )
    control.seed(rooms=[{"address": r.mailbox_email} for r in rooms])
    SyncConnection.objects.bulk_create(
        SyncConnection(
            tenant=tenant,
            user_id=r.mailbox_email,
            resource=r,
            user_type=UserType.RESOURCE,
            valid=True,
            active=True,
            calendar_id="calendar",
        )
        for r in rooms
    )
    quarter = ROOMS // 4
    for room in rooms[:quarter]:
        Reservation.objects.create(resource=room, title="Booked", start=START, end=END)
    at = {"timeZone": "UTC"}
    for room in rooms[quarter : 2 * quarter]:
        control.outlook_create(
            room.mailbox_email,
            subject="Outlook meeting",
            start={**at, "dateTime": START.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")},
            end={**at, "dateTime": END.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")},
        )
    return location


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * percent / 100) - 1)]


def _most_at_once(calls: list[dict]) -> int:
    """The most calls whose time in the sandbox overlapped (from the request log)."""
    edges = []
    for call in calls:
        edges += [(call["started_at"], 1), (call["started_at"] + call["duration_ms"] / 1000, -1)]
    most = running = 0
    for _, step in sorted(edges):
        running += step
        most = max(most, running)
    return most


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"

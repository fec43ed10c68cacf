"""Sync Down of 10,000 Outlook events in one room calendar, from the sandbox in its own
process over HTTPS on loopback.

Figures: wall time of the sync against the time to fetch the same delta pages alone, for a
room whose pages the sandbox answers after PAGE_LATENCY, as Graph over the network would
(target ≤ 1.1×: the sync hides behind the fetch); the same from a sandbox answering from
memory, which measures CPU (no target); database queries per event (target ≤ 0.5) and peak
Python memory (target < 200 MB).
Also the CPU time that this process, the sandbox and a local PostgreSQL spend in each part:
with every process sharing the machine's cores, their sum over the cores is the least wall
time the sync can take, however well its parts overlap.
"""

from __future__ import annotations

import datetime as dt
import os
import resource as rusage
import time

from bench.counting import counting_queries
from bench.processes import cpu_seconds, postgres_pids, sandbox

EVENTS = 10_000
SEED_CHUNK = 1000
# Seconds the sandbox waits before answering each delta page, for a second sync of its own
# room: how the sync compares with a fetch that waits on the network, as against Graph,
# instead of a sandbox that answers from memory.
PAGE_LATENCY = 0.1


def run(folder: str) -> list[tuple[str, str]]:
    from django.conf import settings
    from django.db import connection

    from sandbox.client import SandboxControl
    from syncconnections.models import Tenant

    with sandbox(folder) as (url, ca_file, sandbox_pid):
        settings.GRAPH_API_ROOT = settings.GRAPH_AUTHORITY_HOST = url
        settings.GRAPH_CA_BUNDLE = ca_file
        control = SandboxControl(url, ca_file)
        # An app registration of its own: other benchmarks' tenants share the database.
        control.seed(
            apps=[{"tenant": "sandbox", "client_id": "bench-inbound", "client_secret": "s"}]
        )
        tenant = Tenant.objects.create(
            name="Bench inbound",
            directory_id="sandbox",
            client_id="bench-inbound",
            client_secret="s",
            email_domains="bench.test",
            sync_mode="inbound",
        )
        database_pids = postgres_pids() if connection.vendor == "postgresql" else []
        cpu = CpuClock(sandbox_pid, database_pids)

        fetch_wall, sync_wall, queries, pages = sync_room(control, tenant, "atrium", cpu)
        fetch_cpu, sync_cpu = cpu.laps[-2:]
        peak = rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss * 1024

        control.fault("/calendarView/delta", kind="delay", seconds=PAGE_LATENCY, times=10**6)
        slow_fetch, slow_sync, _, _ = sync_room(control, tenant, "gallery", cpu)
        control.clear_faults()
    latency = f"with {PAGE_LATENCY * 1000:.0f} ms to answer each page"
    return [
        ("events read, reservations created", f"{EVENTS:,}, {EVENTS:,}"),
        ("delta pages", f"{pages}"),
        ("fetch the pages alone", f"{fetch_wall:.2f} s"),
        ("Sync Down wall time", f"{sync_wall:.2f} s ({EVENTS / sync_wall:,.0f} events/s)"),
        ("Sync Down / fetch alone, answered from memory (CPU)", f"{sync_wall / fetch_wall:.2f}"),
        (
            "CPU per event in Sync Down: process / database",
            f"{sync_cpu[0] / EVENTS * 1000:.3f} / {sync_cpu[2] / EVENTS * 1000:.3f} ms",
        ),
        ("DB queries per event (target ≤ 0.5)", f"{queries / EVENTS:.3f}"),
        ("peak memory of the process, RSS (target < 200 MB)", f"{peak / 1_048_576:.1f} MB"),
        ("database", connection.vendor),
        ("CPU, fetch alone: process / sandbox / database", cpu.show(fetch_cpu)),
        ("CPU, Sync Down: process / sandbox / database", cpu.show(sync_cpu)),
        (
            f"least Sync Down wall time that CPU allows on {cpu.cores} cores",
            f"{sum(sync_cpu) / cpu.cores:.2f} s ({sum(sync_cpu) / cpu.cores / fetch_wall:.2f}"
            " × fetch alone)",
        ),
        (f"fetch alone, Sync Down {latency}", f"{slow_fetch:.2f} s, {slow_sync:.2f} s"),
        (f"Sync Down / fetch alone {latency} (target ≤ 1.1)", f"{slow_sync / slow_fetch:.2f}"),
    ]


def sync_room(control, tenant, name: str, cpu: CpuClock) -> tuple[float, float, int, int]:
    """Seed a room calendar with EVENTS meetings, fetch its delta pages alone, then Sync Down
    a new connection of the room: (fetch seconds, sync seconds, queries, pages), the CPU of
    each in cpu.laps."""
    from django.utils import timezone

    from bookings.models import Location, Reservation, Resource
    from syncconnections import connection_setup
    from syncconnections.graph import GraphClient
    from syncconnections.inbound import delta
    from syncconnections.models import CompanyLogEntry, SyncConnection, UserType

    mailbox = f"{name}@bench.test"
    control.mailbox(mailbox)
    seed_events(control, mailbox, timezone.localdate())
    location = Location.objects.create(name=f"Bench {name}", time_zone="Europe/Amsterdam")
    resource = Resource.objects.create(location=location, name=name, mailbox_email=mailbox)
    room = SyncConnection.objects.create(
        tenant=tenant, user_id=mailbox, resource=resource, user_type=UserType.RESOURCE
    )
    assert connection_setup.validate(room.pk).valid
    SyncConnection.objects.filter(pk=room.pk).update(active=True)

    client = GraphClient.for_tenant(tenant)
    start, end = delta.current_window()
    cpu.lap()
    began = time.perf_counter()
    fetched = sum(
        len(page.events)
        for page in client.delta_pages(
            mailbox, start=delta.moment(start), end=delta.moment(end), page_size=delta.PAGE_SIZE
        )
    )
    fetch_wall = time.perf_counter() - began
    cpu.lap()

    began = time.perf_counter()
    with counting_queries() as queries:
        result = delta.sync_down(room.pk)
    sync_wall = time.perf_counter() - began
    cpu.lap()

    assert result.ok, result.error
    reservations = Reservation.objects.filter(resource=resource).count()
    assert fetched == result.events == reservations == EVENTS
    assert CompanyLogEntry.objects.filter(sync_connection=room).count() == EVENTS
    return fetch_wall, sync_wall, queries.count, result.pages


class CpuClock:
    """CPU seconds used since the last lap by this process, the sandbox and the database's
    processes that were running when the clock started (an autovacuum worker that starts
    later is not counted)."""

    def __init__(self, sandbox_pid: int, database_pids: list[int]) -> None:
        self.sandbox_pid, self.database_pids = sandbox_pid, database_pids
        self.cores = os.cpu_count() or 1
        self.laps: list[tuple[float, float, float]] = []
        self.last = self._now()

    def _now(self) -> tuple[float, float, float]:
        return (
            time.process_time(),
            cpu_seconds([self.sandbox_pid]),
            cpu_seconds(self.database_pids),
        )

    def lap(self) -> tuple[float, float, float]:
        (process, sandbox_, database), last = self._now(), self.last
        self.last = (process, sandbox_, database)
        spent = process - last[0], sandbox_ - last[1], database - last[2]
        self.laps.append(spent)
        return spent

    def show(self, spent: tuple[float, float, float]) -> str:
        shown = [f"{seconds:.2f} s" for seconds in spent]
        if not self.database_pids:
            shown[2] = "not measured"
        return " / ".join(shown)


def seed_events(control, mailbox: str, today: dt.date) -> None:
    """10,000 meetings on working hours over the coming days, as Outlook users make them."""
    events = []
    for n in range(EVENTS):
        day = today + dt.timedelta(days=1 + n // 40)
        begins = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=15 * (n % 40))
        events.append(
            {
                "subject": f"Meeting {n}",
                "start": {"dateTime": begins.isoformat(), "timeZone": "UTC"},
                "end": {
                    "dateTime": (begins + dt.timedelta(minutes=15)).isoformat(),
                    "timeZone": "UTC",
                },
                "organizerEmail": f"organizer{n % 50}@contoso.test",
                "attendees": [
                    {"emailAddress": {"address": "guest@contoso.test"}, "type": "required"}
                ],
            }
        )
    for first in range(0, EVENTS, SEED_CHUNK):
        control.outlook_create_many(mailbox, events[first : first + SEED_CHUNK])

"""Sync Down of 10,000 Outlook events in one room calendar, from the sandbox in its own
process over HTTPS on loopback.

Figures: wall time of the sync against the time to fetch the same delta pages alone (target
≤ 1.5×), database queries per event (target ≤ 0.5) and peak Python memory (target < 200 MB).
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
MAILBOX = "atrium@bench.test"
SEED_CHUNK = 1000


def run(folder: str) -> list[tuple[str, str]]:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from bookings.models import Location, Reservation, Resource
    from sandbox.client import SandboxControl
    from syncconnections import validation
    from syncconnections.graph import GraphClient
    from syncconnections.inbound import delta
    from syncconnections.models import CompanyLogEntry, SyncConnection, Tenant, UserType

    with sandbox(folder) as (url, ca_file, sandbox_pid):
        settings.GRAPH_API_ROOT = settings.GRAPH_AUTHORITY_HOST = url
        settings.GRAPH_CA_BUNDLE = ca_file
        control = SandboxControl(url, ca_file)
        # An app registration of its own: other benchmarks' tenants share the database.
        control.seed(
            apps=[{"tenant": "sandbox", "client_id": "bench-inbound", "client_secret": "s"}]
        )
        control.mailbox(MAILBOX)
        seed_events(control, timezone.localdate())

        tenant = Tenant.objects.create(
            name="Bench inbound",
            directory_id="sandbox",
            client_id="bench-inbound",
            client_secret="s",
            email_domains="bench.test",
            sync_mode="inbound",
        )
        location = Location.objects.create(name="Bench inbound", time_zone="Europe/Amsterdam")
        resource = Resource.objects.create(location=location, name="Atrium", mailbox_email=MAILBOX)
        room = SyncConnection.objects.create(
            tenant=tenant, user_id=MAILBOX, resource=resource, user_type=UserType.RESOURCE
        )
        assert validation.validate(room.pk).valid
        SyncConnection.objects.filter(pk=room.pk).update(active=True)

        client = GraphClient.for_tenant(tenant)
        start, end = delta.current_window()
        database_pids = postgres_pids() if connection.vendor == "postgresql" else []
        cpu = CpuClock(sandbox_pid, database_pids)
        began = time.perf_counter()
        fetched = sum(
            len(page.events)
            for page in client.delta_pages(
                MAILBOX,
                start=delta.moment(start),
                end=delta.moment(end),
                page_size=delta.PAGE_SIZE,
            )
        )
        fetch_wall = time.perf_counter() - began
        fetch_cpu = cpu.lap()

        began = time.perf_counter()
        with counting_queries() as queries:
            result = delta.sync_down(room.pk)
        sync_wall = time.perf_counter() - began
        sync_cpu = cpu.lap()
        peak = rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss * 1024

        reservations = Reservation.objects.filter(resource=resource).count()
        assert result.ok, result.error
        assert fetched == result.events == reservations == EVENTS
        assert CompanyLogEntry.objects.filter(sync_connection=room).count() == EVENTS
        return [
            ("events read, reservations created", f"{result.events:,}, {reservations:,}"),
            ("delta pages", f"{result.pages}"),
            ("fetch the pages alone", f"{fetch_wall:.2f} s"),
            ("Sync Down wall time", f"{sync_wall:.2f} s ({EVENTS / sync_wall:,.0f} events/s)"),
            ("Sync Down / fetch alone (target ≤ 1.5)", f"{sync_wall / fetch_wall:.2f}"),
            ("DB queries per event (target ≤ 0.5)", f"{queries.count / EVENTS:.3f}"),
            ("peak memory of the process, RSS (target < 200 MB)", f"{peak / 1_048_576:.1f} MB"),
            ("database", connection.vendor),
            ("CPU, fetch alone: process / sandbox / database", cpu.show(fetch_cpu)),
            ("CPU, Sync Down: process / sandbox / database", cpu.show(sync_cpu)),
            (
                f"least Sync Down wall time that CPU allows on {cpu.cores} cores",
                f"{sum(sync_cpu) / cpu.cores:.2f} s ({sum(sync_cpu) / cpu.cores / fetch_wall:.2f}"
                " × fetch alone)",
            ),
        ]


class CpuClock:
    """CPU seconds used since the last lap by this process, the sandbox and the database's
    processes that were running when the clock started (an autovacuum worker that starts
    later is not counted)."""

    def __init__(self, sandbox_pid: int, database_pids: list[int]) -> None:
        self.sandbox_pid, self.database_pids = sandbox_pid, database_pids
        self.cores = os.cpu_count() or 1
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
        return process - last[0], sandbox_ - last[1], database - last[2]

    def show(self, spent: tuple[float, float, float]) -> str:
        shown = [f"{seconds:.2f} s" for seconds in spent]
        if not self.database_pids:
            shown[2] = "not measured"
        return " / ".join(shown)


def seed_events(control, today: dt.date) -> None:
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
        control.outlook_create_many(MAILBOX, events[first : first + SEED_CHUNK])

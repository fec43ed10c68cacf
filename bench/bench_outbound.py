"""Push 1,000 reservations across 20 rooms to the sandbox.

Figures: Graph HTTP requests against the minimum with $batch (one call per 20 events),
database queries per reservation (push, and the enqueue that each save adds), wall time and
peak Python memory of the push.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import tracemalloc
from pathlib import Path

from bench.counting import counting_queries

ROOMS = 20
RESERVATIONS = 1000


def run(folder: str) -> list[tuple[str, str]]:
    from django.conf import settings
    from django.db import connection
    from django_q.conf import Conf

    from bookings.models import Location, Reservation, Resource
    from sandbox.client import SandboxControl
    from sandbox.server import SandboxServer
    from syncconnections import connection_setup, outbound
    from syncconnections.models import OutlookEvent, SyncConnection, Tenant, UserType

    server = SandboxServer(port=0, ca_file=Path(folder) / "ca.pem").start()
    settings.GRAPH_API_ROOT = settings.GRAPH_AUTHORITY_HOST = server.url
    settings.GRAPH_CA_BUNDLE = str(server.ca_file)
    Conf.SYNC = False  # queue the worker; this benchmark runs it itself
    control = SandboxControl(server.url, str(server.ca_file))
    try:
        tenant = Tenant.objects.create(
            name="Bench",
            directory_id="sandbox",
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            email_domains="bench.test",
        )
        location = Location.objects.create(name="Bench HQ", time_zone="Europe/Amsterdam")
        rooms = []
        for i in range(ROOMS):
            address = f"room{i}@bench.test"
            control.mailbox(address)
            resource = Resource.objects.create(
                location=location, name=f"Room {i}", mailbox_email=address
            )
            room = SyncConnection.objects.create(
                tenant=tenant,
                user_id=address,
                resource=resource,
                user_type=UserType.RESOURCE,
                activate_after_validation=True,
            )
            assert connection_setup.validate(room.pk).valid
            rooms.append(resource)

        start = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)
        with counting_queries() as enqueue_queries:
            for n in range(RESERVATIONS):
                at = start + dt.timedelta(days=n // 40, minutes=15 * (n % 40))
                Reservation.objects.create(
                    resource=rooms[n % ROOMS],
                    title=f"Meeting {n}",
                    start=at,
                    end=at + dt.timedelta(minutes=15),
                )
        control.clear_requests()

        tracemalloc.start()
        began = time.perf_counter()
        with counting_queries() as push_queries:
            summary = outbound.push_outbound()
        wall = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        calls = [r for r in control.requests() if not r["inner"]]
        graph_calls = [r for r in calls if r["path"].startswith("/v1.0/")]
        minimum = math.ceil(RESERVATIONS / 20)
        events = sum(len(control.events(r.mailbox_email)) for r in rooms)
        assert summary["created"] == RESERVATIONS == events == OutlookEvent.objects.count()
        # Per reservation save: the reservation's own writes plus the enqueue.
        per_save = enqueue_queries.count / RESERVATIONS
        return [
            ("events created in the sandbox", f"{events}"),
            ("Graph HTTP requests (push)", f"{len(graph_calls)}"),
            ("minimum with $batch (20 per call)", f"{minimum}"),
            ("requests / minimum (target ≤ 1.1)", f"{len(graph_calls) / minimum:.2f}"),
            ("token requests during the push", f"{len(calls) - len(graph_calls)}"),
            (
                "DB queries per reservation, push (target ≤ 3)",
                f"{push_queries.count / RESERVATIONS:.2f}",
            ),
            ("DB queries per reservation save incl. enqueue", f"{per_save:.2f}"),
            ("push wall time", f"{wall:.2f} s ({RESERVATIONS / wall:.0f} reservations/s)"),
            ("push peak Python memory", f"{peak / 1_048_576:.1f} MB"),
            ("database", connection.vendor),
        ]
    finally:
        server.stop()

"""Freshness at scale: how long after a change on one side the other side shows it.

ROOMS room connections with live subscriptions in the sandbox (its own process; every Graph
request and every `$batch` answered after LATENCY, as over the internet). Web (gunicorn, as
in production) and one task cluster, both with their default settings, on PostgreSQL. For
SECONDS, Outlook users make OUTLOOK_RATE changes a second in random rooms (create, move,
cancel; the sandbox notifies), while the back office books API_RATE reservations a second
through the API. Then up to SETTLE_WITHIN seconds for what is still on its way.

Freshness, inbound: from the Outlook change to the reservation's row saved in Bookbridge
(created_at or updated_at). Outbound: from the API's answer to the event made in the
sandbox (its createdDateTime). Both clocks are this machine's.

`FRESHNESS_ROOMS`, `FRESHNESS_SECONDS` (environment) scale it down for a quick look.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.load import at_once, wait_until_settled
from bench.processes import cpu_seconds, free_port, postgres_pids, running, sandbox

ROOMS = int(os.environ.get("FRESHNESS_ROOMS", 2000))
SECONDS = int(os.environ.get("FRESHNESS_SECONDS", 60))
OUTLOOK_RATE = 20  # changes a second
API_RATE = 10  # reservations a second
LATENCY = 0.15  # seconds per Graph request
NOTIFYING = 8  # notifications the sandbox delivers at once
SETTLE_WITHIN = 300
DOMAIN = "freshness.test"
SETUP_THREADS = 8
STATEMENTS_SHOWN = 40


def run(folder: str) -> list[tuple[str, str]]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return [("skipped", "needs PostgreSQL: set BENCH_DATABASE_URL=postgres://…")]
    with sandbox(folder) as (url, ca_file, sandbox_pid):
        return Freshness(url, ca_file, sandbox_pid).run()


class Freshness:
    def __init__(self, sandbox_url: str, ca_file: str, sandbox_pid: int) -> None:
        from sandbox.client import SandboxControl

        self.control = SandboxControl(sandbox_url, ca_file)
        self.sandbox_url, self.ca_file, self.sandbox_pid = sandbox_url, ca_file, sandbox_pid
        self.outlook: list[tuple[str, str, str, dt.datetime, dt.datetime | None]] = []
        self.booked: list[tuple[str, str, dt.datetime]] = []  # (uuid, room, answered at)
        self.refused = 0
        self.made: dict[str, dt.datetime] = {}  # transactionId -> created in the sandbox
        self.unseen = 0
        self.errors_before = 0

    def run(self) -> list[tuple[str, str]]:
        from django.conf import settings
        from django_q.conf import Conf

        settings.GRAPH_API_ROOT = settings.GRAPH_AUTHORITY_HOST = self.sandbox_url
        settings.GRAPH_CA_BUNDLE = self.ca_file
        Conf.SYNC = False  # the cluster does the work
        port = free_port()
        self.web = f"http://127.0.0.1:{port}"
        settings.PUBLIC_BASE_URL = self.web
        env = {
            "GRAPH_API_ROOT": self.sandbox_url,
            "GRAPH_AUTHORITY_HOST": self.sandbox_url,
            "GRAPH_CA_BUNDLE": self.ca_file,
            "PUBLIC_BASE_URL": self.web,
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "ERROR",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "PYTHONWARNINGS": "ignore:No directory at",
        }
        gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application"]
        cluster = [sys.executable, "manage.py", "qcluster"]
        with (
            running(gunicorn, f"{self.web}/healthz", False, env) as web,
            running(cluster, f"{self.web}/healthz", False, env) as tasks,
        ):
            began = time.monotonic()
            self.connect()
            set_up = time.monotonic() - began
            # Graph delivers notifications several at once, in no promised order.
            self.control.settings(latency=LATENCY, notification_concurrency=NOTIFYING)
            one = self.phase(0, [self.web], {"web": [web.pid], "tasks": [tasks.pid]})
            # The same load on two web instances (the API's users spread over both, as behind
            # a load balancer) and two task clusters, all on the one database.
            port = free_port()
            other_web = f"http://127.0.0.1:{port}"
            with (
                running(
                    gunicorn,
                    f"{other_web}/healthz",
                    False,
                    {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                ) as web2,
                running(cluster, f"{other_web}/healthz", False, env) as tasks2,
            ):
                two = self.phase(
                    1,
                    [self.web, other_web],
                    {"web": [web.pid, web2.pid], "tasks": [tasks.pid, tasks2.pid]},
                )
            night = self.nightly()
        return [
            ("rooms (live subscriptions)", f"{ROOMS:,}"),
            ("set-up (validate, subscribe, first read)", f"{set_up:.0f} s"),
            ("sandbox latency per request", f"{LATENCY * 1000:.0f} ms"),
            ("— the busy minute on", "1 cluster, 1 web | 2 clusters, 2 webs"),
            *[(measure, f"{a} | {b}") for (measure, a), (_, b) in zip(one, two, strict=True)],
            *night,
        ]

    def phase(self, n: int, webs: list[str], pids: dict[str, list[int]]) -> list[tuple[str, str]]:
        """The busy minute, then its figures."""
        self.outlook, self.booked, self.made = [], [], {}
        self.refused = self.unseen = 0
        self.webs = webs
        self.meetings_before(n)
        self.control.clear_requests()
        processes = {
            "web (gunicorn)": lambda: [p for pid in pids["web"] for p in tree(pid)],
            "task cluster": lambda: [p for pid in pids["tasks"] for p in tree(pid)],
            "sandbox": lambda: tree(self.sandbox_pid),
            "PostgreSQL": postgres_pids,
        }
        cpu_before = {name: cpu_seconds(find()) for name, find in processes.items()}
        transactions_before, tasks_before = transactions(), tasks_queued()
        statements_reset()
        busy_before = machine_busy()
        began = time.monotonic()
        self.busy_minute(n)
        busy_minute = machine_busy()
        settled = self.wait_for_arrivals()
        took = time.monotonic() - began
        cpu = {name: cpu_seconds(find()) - cpu_before[name] for name, find in processes.items()}
        figures = self.figures(settled, cpu, transactions() - transactions_before)
        queries = statements(f"busy minute {n + 1}")
        if queries is not None:
            changes = len(self.outlook) + len(self.booked)
            figures.append(("database queries per change", f"{queries / max(changes, 1):.1f}"))
        tasks = tasks_queued() - tasks_before
        busy = (busy_minute[0] - busy_before[0]) / max(busy_minute[1] - busy_before[1], 1)
        return [
            *figures,
            ("tasks queued a second (busy minute and after)", f"{tasks / took:.1f}"),
            ("machine's CPU busy in the busy minute (all processes)", f"{busy:.0%}"),
        ]

    # --- set-up --------------------------------------------------------------------------------

    def connect(self) -> None:
        """ROOMS rooms with live, validated connections, subscribed by the cluster, read once."""
        from concurrent.futures import ThreadPoolExecutor

        from django.contrib.auth.models import Permission

        from api import clients
        from bookings.models import Location, Resource
        from syncconnections import connection_setup
        from syncconnections.models import SyncConnection, Tenant, UserType

        tenant = Tenant.objects.create(
            name="Campus",
            directory_id="sandbox",
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            email_domains=DOMAIN,
            ignore_cancellation_requests=True,  # an Outlook cancellation is applied at once
        )
        location = Location.objects.create(name="Campus", time_zone="Europe/Amsterdam")
        self.rooms = []
        for n in range(ROOMS):
            address = f"room{n}@{DOMAIN}"
            self.control.mailbox(address)
            self.rooms.append(
                Resource.objects.create(location=location, name=f"Room {n}", mailbox_email=address)
            )
        connections = [
            SyncConnection.objects.create(
                tenant=tenant,
                user_id=room.mailbox_email,
                resource=room,
                user_type=UserType.RESOURCE,
                activate_after_validation=True,
                use_live_sync=True,
            )
            for room in self.rooms
        ]

        def validate(pk: int) -> bool:
            from django.db import connections as databases

            try:
                return connection_setup.validate(pk).valid
            finally:
                databases.close_all()

        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            assert all(pool.map(validate, [c.pk for c in connections]))
        deadline = time.monotonic() + 1200
        while SyncConnection.objects.filter(subscription_id="").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not subscribe the rooms in 20 minutes")
            time.sleep(1)
        wait_until_settled(timeout=1200)
        # The booking system's API client, with every permission; its token comes from the
        # token endpoint once the web server is up (back_office).
        client, self.secret = clients.create("Booking system", permissions=Permission.objects.all())
        self.client_id = client.client_id

    def meetings_before(self, phase: int) -> None:
        """The meetings the busy minute moves and cancels: already in the rooms' calendars
        and in Bookbridge, as on any Monday morning."""
        randomly = random.Random(20 + phase)
        self.days = 100 * phase  # each phase's meetings on days of their own
        first = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        wanted = SECONDS * OUTLOOK_RATE // 2
        by_room: dict[str, list[dict]] = {}  # type: ignore[type-arg]
        for n in range(wanted):
            room = self.rooms[randomly.randrange(ROOMS)].mailbox_email
            start = first + dt.timedelta(days=self.days + 10 + n // 40, minutes=15 * (n % 40))
            by_room.setdefault(room, []).append(
                {**meeting(f"Standing {n}", start, 15), "organizerEmail": f"host{n}@elsewhere.test"}
            )
        self.existing = [
            (room, event["id"])
            for room, events in by_room.items()
            for event in self.control.outlook_create_many(room, events)
        ]
        randomly.shuffle(self.existing)
        wait_until_settled(timeout=1200)

    # --- the busy minute -----------------------------------------------------------------------

    def busy_minute(self, phase: int) -> None:
        self.began, self.began_at = time.monotonic(), now()
        at_once(self.outlook_users, self.back_office)

    def outlook_users(self) -> None:
        """Creates, and moves and cancels of meetings made before: (kind, mailbox, id, when
        made, the new start of a move)."""
        randomly = random.Random(40 + len(self.webs))
        first = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        made = list(self.existing)  # meetings Bookbridge has read: half the changes are to them
        for n in range(SECONDS * OUTLOOK_RATE):
            due = n / OUTLOOK_RATE
            pause(due, self.began)
            kind = "create" if n % 2 == 0 else ("move" if n % 4 == 1 else "cancel")
            if kind == "create":
                room = self.rooms[randomly.randrange(ROOMS)]
                start = first + dt.timedelta(
                    days=self.days + 2 + n // 80, minutes=15 * (n % 80)
                )  # one per slot
                event = self.control.outlook_create(
                    room.mailbox_email,
                    **meeting(f"Outlook {self.days}-{n}", start, 15),
                    organizerEmail=f"guest{n}@elsewhere.test",
                )
                self.outlook.append((kind, room.mailbox_email, event["id"], now(), None))
                continue
            mailbox, event_id = made.pop()
            if kind == "move":
                start = first + dt.timedelta(days=self.days + 30 + n // 40, minutes=15 * (n % 40))
                self.control.outlook_update(mailbox, event_id, **meeting(None, start, 15))
                self.outlook.append((kind, mailbox, event_id, now(), start))
            else:
                self.control.outlook_delete(mailbox, event_id)
                self.outlook.append((kind, mailbox, event_id, now(), None))

    def back_office(self) -> None:
        import requests

        session = requests.Session()
        token = requests.post(
            f"{self.web}/api/oauth/token/",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.secret),
            timeout=30,
        )
        token.raise_for_status()
        session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        first = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        for n in range(SECONDS * API_RATE):
            pause(n / API_RATE, self.began)
            start = first + dt.timedelta(days=self.days + 60 + n // 40, minutes=15 * (n % 40))
            answer = session.post(
                f"{self.webs[n % len(self.webs)]}/api/reservations/",
                json={
                    "title": f"Booked {n}",
                    "resource": self.rooms[n % ROOMS].pk,
                    "start": start.isoformat(),
                    "end": (start + dt.timedelta(minutes=15)).isoformat(),
                    "status": "confirmed",
                },
                timeout=30,
            )
            if answer.status_code != 201:
                self.refused += 1
                continue
            self.booked.append((answer.json()["uuid"], self.rooms[n % ROOMS].mailbox_email, now()))

    # --- arrival -------------------------------------------------------------------------------

    def wait_for_arrivals(self) -> float | None:
        """Seconds after the busy minute until both sides showed every change (None: not
        within SETTLE_WITHIN)."""
        ended = time.monotonic()
        deadline = ended + SETTLE_WITHIN
        while time.monotonic() < deadline:
            if len(self.inbound_arrivals()) + self.unseen == len(self.outlook) and len(
                self.outbound_arrivals()
            ) == len(self.booked):
                return time.monotonic() - ended
            time.sleep(5)
        return None

    def inbound_arrivals(self) -> list[float]:
        """Seconds from each Outlook change to its entry in the company log, written with
        the reservation's row, for those arrived. A meeting made and cancelled before Sync
        Down read it has nothing to arrive: both changes count as arrived, without a time
        (`unseen`)."""
        from syncconnections.models import CompanyLogEntry

        logged: dict[tuple[str, str], list[tuple[str, dt.datetime, dt.datetime]]] = {}
        for mailbox, event_id, operation, at, start in CompanyLogEntry.objects.values_list(
            "mailbox", "event_id", "operation", "created_at", "start"
        ):
            logged.setdefault((mailbox, event_id), []).append((operation, at, start))
        cancelled = {(m, e) for k, m, e, _, _ in self.outlook if k == "cancel"}
        arrived, self.unseen, self.missing = [], 0, []
        for kind, mailbox, event_id, made, start in self.outlook:
            entries = logged.get((mailbox, event_id), [])
            if kind == "create":
                seen = [at for op, at, _ in entries if op == "created"]
            elif kind == "move":
                seen = [at for op, at, begins in entries if op != "deleted" and begins == start]
            else:
                seen = [at for op, at, _ in entries if op == "deleted"]
            if seen:
                arrived.append((min(seen) - made).total_seconds())
            elif not entries and (mailbox, event_id) in cancelled:
                self.unseen += 1
            else:
                self.missing.append((kind, mailbox, event_id, start, entries))
        return arrived

    def outbound_arrivals(self) -> list[float]:
        """Seconds from each API answer to its event made in the sandbox, for those made."""
        missing = {uuid for uuid, _, _ in self.booked} - set(self.made)
        for room in {room for uuid, room, _ in self.booked if uuid in missing}:
            for event in self.control.events(room):
                if event.get("transactionId"):
                    self.made[event["transactionId"]] = dt.datetime.fromisoformat(
                        event["createdDateTime"].replace("Z", "+00:00")
                    )
        return [
            (self.made[uuid] - answered).total_seconds()
            for uuid, _, answered in self.booked
            if uuid in self.made
        ]

    # --- figures -------------------------------------------------------------------------------

    def figures(
        self, settled: float | None, cpu: dict[str, float], transactions: int
    ) -> list[tuple[str, str]]:
        from errors.models import SyncError

        inbound, outbound = self.inbound_arrivals(), self.outbound_arrivals()
        log = self.control.requests()
        requests = [r for r in log if not r["inner"]]
        changes = len(self.outlook) + len(self.booked)
        batches = [r for r in requests if r["path"].endswith("$batch")]
        by_kind = {
            "delta reads on their own": sum(1 for r in requests if "/delta" in r["path"]),
            "$batch of delta reads": sum(1 for r in batches if batch_kind(r) == "delta"),
            "$batch of removed events checked": sum(1 for r in batches if batch_kind(r) == "read"),
            "$batch of rooms' calendars read before a push": sum(
                1 for r in batches if batch_kind(r) == "view"
            ),
            "$batch with writes (pushes)": sum(1 for r in batches if batch_kind(r) == "write"),
        }
        by_kind["other"] = len(requests) - sum(by_kind.values())
        writes = (
            by_kind["$batch with writes (pushes)"]
            + by_kind["$batch of rooms' calendars read before a push"]
        )
        peak = self.control.peak_concurrency()
        for kind, mailbox, event_id, start, entries in self.missing:  # to look into
            print(f"not arrived: {kind} {mailbox} {event_id} {start} {entries}", file=sys.stderr)
        errors = SyncError.objects.count() - self.errors_before
        self.errors_before += errors
        return [
            ("inbound: Outlook changes made / arrived", f"{len(self.outlook)} / {len(inbound)}"),
            ("  of which cancelled before Bookbridge read them", f"{self.unseen}"),
            ("inbound freshness p50 / p95 / max (target p95 < 5 s)", spread(inbound)),
            ("inbound duplicates (reservations of one meeting)", f"{self.inbound_duplicates()}"),
            ("outbound: API bookings made / in Outlook", f"{len(self.booked)} / {len(outbound)}"),
            ("outbound freshness p50 / p95 / max (target p95 < 5 s)", spread(outbound)),
            ("outbound duplicates (events of one booking)", f"{self.outbound_duplicates()}"),
            ("API bookings refused", f"{self.refused}"),
            (
                "all arrived after the busy minute",
                f"{settled:.0f} s" if settled is not None else f"not within {SETTLE_WITHIN} s",
            ),
            ("Graph HTTP requests per change", f"{len(requests) / max(changes, 1):.2f}"),
            (
                "  per inbound change (target ≤ 0.25)",
                f"{(len(requests) - writes) / max(len(self.outlook), 1):.2f}",
            ),
            ("  per outbound change (target ≤ 0.1)", f"{writes / max(len(self.booked), 1):.2f}"),
            *[(f"  {kind}", f"{n:,}") for kind, n in by_kind.items()],
            ("notification delivery lag p50 / p95 / max (sandbox's queue)", self.lag()),
            ("most requests running at once for one mailbox", f"{max(peak.values(), default=0)}"),
            ("answers 429 (batched ones included)", f"{sum(r['status'] == 429 for r in log)}"),
            ("database transactions per change", f"{transactions / max(changes, 1):.1f}"),
            *[(f"CPU, {name}", f"{seconds:.0f} s") for name, seconds in cpu.items()],
            ("sync errors", f"{errors}"),
        ]

    def lag(self) -> str:
        """From a change to its notification delivered: the sandbox's own queue, which
        Bookbridge does not control; counted so that it is not taken for Bookbridge's."""
        since = self.began_at.timestamp()
        return spread(
            [
                d["delivered_at"] - d["queued_at"]
                for d in self.control.notifications()
                if d.get("queued_at", 0) >= since
            ]
        )

    def inbound_duplicates(self) -> int:
        from django.db.models import Count

        from bookings.models import Reservation

        titles = {f"Outlook {self.days}-{n}" for n in range(SECONDS * OUTLOOK_RATE)}
        return sum(
            row["n"] - 1
            for row in Reservation.objects.filter(title__in=titles)
            .values("title")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )

    def outbound_duplicates(self) -> int:
        booked = {uuid for uuid, _, _ in self.booked}
        made = Counter(
            event.get("transactionId")
            for room in {room for _, room, _ in self.booked}
            for event in self.control.events(room)
            if event.get("transactionId") in booked
        )
        return sum(n - 1 for n in made.values())

    # --- the nightly sync ----------------------------------------------------------------------

    def nightly(self) -> list[tuple[str, str]]:
        """The nightly sync of the quiet rooms, in this process, at the same latency: a night
        on which every room's window rolls on and every subscription is renewed."""
        from django.utils import timezone

        from syncconnections.inbound.nightly import nightly_sync
        from syncconnections.models import SyncConnection

        wait_until_settled(timeout=600)
        SyncConnection.objects.update(
            delta_window_start=timezone.localdate() - dt.timedelta(days=32),
            subscription_expires_at=timezone.now() + dt.timedelta(hours=1),
        )
        self.control.clear_requests()
        began = time.monotonic()
        summary = nightly_sync()
        took = time.monotonic() - began
        requests = [r for r in self.control.requests() if not r["inner"]]
        return [
            ("— the nightly sync of the quiet rooms", ""),
            ("nightly_sync wall time (target < 120 s)", f"{took:.0f} s"),
            ("  rooms synced, windows rolled", f"{summary.connections:,}"),
            ("  subscriptions renewed", f"{summary.subscriptions.renewed:,}"),
            (
                "  Graph HTTP calls (renewals ≤ 100 for 2,000)",
                f"{len(requests):,} ({sum('/subscriptions' in r['path'] for r in requests)} "
                "outside $batch for subscriptions)",
            ),
            ("  failed", f"{len(summary.failed) + summary.subscriptions.failed}"),
        ]


def batch_kind(call: dict) -> str:  # type: ignore[type-arg]
    inner = (call.get("body") or {}).get("requests") or []
    if not inner or any(i.get("method", "GET") != "GET" for i in inner):  # big: not logged
        return "write"
    if all("/delta" in i.get("url", "") for i in inner):
        return "delta"
    return "view" if any("/calendarView?" in i.get("url", "") for i in inner) else "read"


def meeting(subject: str | None, start: dt.datetime, minutes: int) -> dict:  # type: ignore[type-arg]
    def graph(moment: dt.datetime) -> dict[str, str]:
        return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}

    body = {"start": graph(start), "end": graph(start + dt.timedelta(minutes=minutes))}
    return {**body, "subject": subject} if subject else body


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def pause(due: float, began: float) -> None:
    wait = began + due - time.monotonic()
    if wait > 0:
        time.sleep(wait)


def spread(seconds: list[float]) -> str:
    if not seconds:
        return "—"
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(ordered):.1f} / {p95:.1f} / {ordered[-1]:.1f} s"


def tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn's and the cluster's workers)."""
    found = [pid]
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    for child in children:
        found += tree(int(child))
    return found


def transactions() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        return int(cursor.fetchone()[0])


def statements_reset() -> bool:
    """Zero pg_stat_statements' counts, where the server loads it (shared_preload_libraries:
    the figure is left out otherwise)."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT pg_stat_statements_reset()")
    except DatabaseError:
        return False
    return True


def statements(heading: str) -> int | None:
    """Queries this database ran since statements_reset (None without pg_stat_statements);
    the most called are printed, to see where a change's queries go."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT calls, total_exec_time, query FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "ORDER BY calls DESC"
            )
            rows = cursor.fetchall()
    except DatabaseError:
        return None
    print(f"{heading}: the most called statements (calls, time)", file=sys.stderr)
    for calls, ms, query in rows[:STATEMENTS_SHOWN]:
        print(f"{calls:>9,} {ms:>8.0f} ms  {' '.join(query.split())[:240]}", file=sys.stderr)
    return sum(calls for calls, _, _ in rows)


def tasks_queued() -> int:
    """Tasks put in django-q2's ORM queue so far (its id sequence: not transactional)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM django_q_ormq_id_seq")
        return int(cursor.fetchone()[0])


def machine_busy() -> tuple[float, float]:
    """(busy, all) CPU time of the whole machine so far, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)

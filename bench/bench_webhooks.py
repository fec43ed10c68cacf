"""Graph change notifications into POST /graph/notifications/ under gunicorn on PostgreSQL:
200 concurrent senders on loopback (wrk), one notification per request, as Graph sends them
when changes trickle in.

Two runs after a short warm-up: paced, where the senders, each at random intervals, together
offer RATE notifications/s for SECONDS (targets: ≥ 500 notifications/s taken in, p99 < 50 ms,
none lost); then flat out, each sender posting again as soon as it is answered (the most the
server takes; latency there is queueing, by Little's law). "None lost": every request
answered 202, and every notified connection left with a pending sync request.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from bench.processes import ROOT, free_port, running

SENDERS = 200
CONNECTIONS = 100
RATE = 550
SECONDS = 40

LUA = """
local subscriptions = %(subscriptions)s
local pause = %(pause)s
local sent = 0

function init(args)
  sent = tonumber(wrk.thread:get("offset")) or 0
end

function request()
  sent = sent + 1
  local s = subscriptions[(sent %% #subscriptions) + 1]
  local body = '{"value":[{"subscriptionId":"' .. s[1] .. '","clientState":"' .. s[2] ..
    '","changeType":"updated","resource":"Users/room/Events/AAMk' .. sent ..
    '","subscriptionExpirationDateTime":"2030-01-01T00:00:00Z","tenantId":"sandbox"}]}'
  return wrk.format("POST", "/graph/notifications/",
    {["Content-Type"] = "application/json"}, body)
end

-- Senders are independent: random gaps averaging the pause (never in lockstep).
function delay()
  if pause == 0 then return 0 end
  return math.random(0, 2 * pause)
end

local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "p50": %%f, "p99": %%f, "max": %%f, ' ..
    '"errors": %%d, "non2xx": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
"""


def run(folder: str) -> list[tuple[str, str]]:
    import runpy

    config = SimpleNamespace(**runpy.run_path(str(ROOT / "gunicorn.conf.py")))
    from django.db import connection

    from syncconnections.models import SyncRequest

    if connection.vendor != "postgresql":
        return [("skipped", "needs PostgreSQL: set BENCH_DATABASE_URL=postgres://…")]
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("The webhook benchmark needs wrk: apt-get install wrk")

    subscriptions = subscribe_connections()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]
    env = {
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "600",
        "PYTHONWARNINGS": "ignore:No directory at",  # no collectstatic: no static files here
    }
    rows = []
    with running(gunicorn, f"{url}/healthz", False, env):
        load(wrk, url, folder, subscriptions, pause=0, seconds=3)  # warm-up, not counted
        for label, pause, seconds in (
            ("paced", SENDERS * 1000 // RATE, SECONDS),
            ("flat out", 0, SECONDS // 2),
        ):
            SyncRequest.objects.all().delete()
            result = load(wrk, url, folder, subscriptions, pause, seconds)
            pending = SyncRequest.objects.count()
            rate = result["requests"] / result["seconds"]
            rows += [
                (f"{label}: notifications/s", f"{rate:,.0f}"),
                (
                    f"{label}: latency p50 / p99 / max",
                    f"{result['p50']:.1f} / {result['p99']:.1f} / {result['max']:.1f} ms",
                ),
                (f"{label}: refused or failed requests", f"{result['errors'] + result['non2xx']}"),
                (
                    f"{label}: connections notified / with a pending sync",
                    f"{len(subscriptions)} / {pending}",
                ),
            ]
    rows.append(
        ("gunicorn (gunicorn.conf.py)", f"{config.workers} workers × {config.threads} threads")
    )
    rows.append(("senders (wrk connections)", f"{SENDERS}"))
    return rows


def subscribe_connections() -> list[tuple[str, str]]:
    """CONNECTIONS live room connections, each with a subscription and its clientState."""
    from bookings.models import Location, Resource
    from syncconnections.models import SyncConnection, Tenant, UserType

    tenant = Tenant.objects.create(
        name="Bench live",
        directory_id="sandbox",
        client_id="bench-live",  # never signs in: no Graph call is made here
        client_secret="unused",
        email_domains="live.test",
    )
    location = Location.objects.create(name="Bench live", time_zone="Europe/Amsterdam")
    subscriptions = []
    for n in range(CONNECTIONS):
        address = f"live{n}@live.test"
        resource = Resource.objects.create(location=location, name=address, mailbox_email=address)
        subscription = (secrets.token_hex(16), secrets.token_urlsafe(32))
        SyncConnection.objects.create(
            tenant=tenant,
            user_id=address,
            resource=resource,
            user_type=UserType.RESOURCE,
            valid=True,
            active=True,
            use_live_sync=True,
            subscription_id=subscription[0],
            subscription_client_state=subscription[1],
        )
        subscriptions.append(subscription)
    return subscriptions


def load(
    wrk: str,
    url: str,
    folder: str,
    subscriptions: list[tuple[str, str]],
    pause: int,
    seconds: int = SECONDS,
) -> dict[str, float]:
    script = Path(folder) / "notifications.lua"
    table = "{" + ",".join(f'{{"{s}","{c}"}}' for s, c in subscriptions) + "}"
    script.write_text(LUA % {"subscriptions": table, "pause": pause})
    finished = subprocess.run(
        [wrk, "-t1", f"-c{SENDERS}", f"-d{seconds}s", "--timeout=5s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in finished.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))

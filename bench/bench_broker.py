"""Tasks a second through django-q2's ORM broker (Bookbridge's) and its Redis broker, on this
machine: TASKS tasks that do nothing but count themselves (in Redis), enqueued as fast as one
process can, done by one `manage.py qcluster` with the default settings (2 workers). What is
measured is the queue itself, the ceiling under any real job (docs/deployment.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.processes import ROOT

TASKS = int(os.environ.get("BROKER_TASKS", 2000))


def run(folder: str) -> list[tuple[str, str]]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return [("skipped", "needs PostgreSQL: set BENCH_DATABASE_URL=postgres://…")]
    rows = []
    for broker in ("orm", "redis"):
        figures = measure(broker)
        rows += [
            (f"{broker}: enqueue {TASKS:,} tasks", rate(figures["enqueue_s"])),
            (f"{broker}: enqueued and done", rate(figures["total_s"])),
        ]
    return rows


def rate(seconds: float) -> str:
    return f"{seconds:.1f} s ({TASKS / seconds:,.0f} tasks/s)"


def measure(broker: str) -> dict[str, float]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.broker_settings",
        "BENCH_BROKER": broker,
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True
    )
    try:
        load = subprocess.run(
            [sys.executable, "-m", "bench.broker_load", str(TASKS)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
    finally:
        os.killpg(cluster.pid, 15)
        cluster.wait(timeout=30)
    figures = json.loads(load.stdout.strip().splitlines()[-1])
    if not figures["finished"]:
        raise RuntimeError(f"{broker}: the tasks were not all done within 600 s")
    return figures

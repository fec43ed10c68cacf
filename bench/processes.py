"""Servers a benchmark runs beside itself, each in its own process, so that their work and
memory are not counted as the benchmarked code's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, verify: str | bool = True, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, verify=verify, timeout=2)
            return
        except (requests.RequestException, OSError):  # not up yet, or no CA file yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


@contextmanager
def running(
    command: list[str], url: str, verify: str | bool, env: dict[str, str]
) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    try:
        wait_for(url, verify)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def sandbox(folder: str) -> Iterator[tuple[str, str, int]]:
    """An empty sandbox (Graph and Rover stand-ins) over HTTPS: (url, CA file, process id)."""
    port = free_port()
    ca_file = str(Path(folder) / "sandbox-ca.pem")
    url = f"https://127.0.0.1:{port}"
    command = [sys.executable, "manage.py", "run_sandbox", "--empty", "--port", str(port)]
    with running(
        [*command, "--ca-file", ca_file], f"{url}/_sandbox/requests", ca_file, {}
    ) as process:
        yield url, ca_file, process.pid


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) the processes have used so far, from Linux's /proc, with
    that of their ended children (PostgreSQL's backends, recycled workers), which Linux adds
    to the parent that waits for them."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended
            continue
        total += sum(int(n) for n in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every process of the local PostgreSQL server: the backends and the WAL writer,
    checkpointer and autovacuum that work for them."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found

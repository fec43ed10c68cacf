"""Run several development processes together; Ctrl-C (or any one exiting) stops them all.

    python -m config.devrun "python manage.py runserver" "python manage.py qcluster"

Each command runs in its own process group, so the whole tree of a command (runserver's
autoreloader child, qcluster's workers) is stopped, not just its first process.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time

GRACE_SECONDS = 10


def signal_group(process: subprocess.Popen, signum: int) -> None:
    # The group outlives its first process when that exits before its children.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
            process.wait()
        signal_group(process, signal.SIGKILL)  # whatever of the group is left


def main(commands: list[str]) -> int:
    processes = [subprocess.Popen(shlex.split(c), start_new_session=True) for c in commands]
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping and all(p.poll() is None for p in processes):
        time.sleep(0.2)
    failed = [c for c, p in zip(commands, processes, strict=True) if p.poll() not in (None, 0)]
    stop(processes)
    if failed and not stopping:
        print(f"Stopped everything because this exited: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

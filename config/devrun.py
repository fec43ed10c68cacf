"""Run several development processes together; Ctrl-C (or any one exiting) stops them all.

    python -m config.devrun "python manage.py runserver" "python manage.py qcluster"
    python -m config.devrun --wait-for URL [--ca-file PEM] "first" "second" …
    python -m config.devrun --ready URL --then "announce" "noisy >log/file" "web" …

Each command runs in its own process group, so the whole tree of a command (runserver's
autoreloader child, qcluster's workers) is stopped, not just its first process. With
--wait-for, the first command starts alone and the others only once URL answers (over
HTTPS, trusting the CA file the first one writes): the task cluster validates connections
against the sandbox, which must be up and have written its certificate first.

A command ending in `>FILE` writes its output to FILE (appended), not to the terminal. With
--ready and --then, once every command runs and URL answers, the --then command runs once:
what it prints (the demo's sign-in) comes after the start-up lines, not lost among them.
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
WAIT_SECONDS = 60


def signal_group(process: subprocess.Popen, signum: int) -> None:
    # The group outlives its first process when that exits before its children.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def stop(processes: list[subprocess.Popen]) -> None:
    """Last started, first stopped: the task cluster finishes its calls to the sandbox before
    the sandbox goes (else they fail, as sync errors)."""
    deadline = time.monotonic() + GRACE_SECONDS
    for process in reversed(processes):
        signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
            process.wait()
        signal_group(process, signal.SIGKILL)  # whatever of the group is left


def answers(url: str, ca_file: str | None) -> bool:
    import requests  # only here: the runner itself needs nothing but the standard library

    try:
        if ca_file is not None and not os.path.exists(ca_file):
            return False
        requests.get(url, verify=ca_file or True, timeout=2)
    except (requests.RequestException, OSError):
        return False
    return True


def start(command: str) -> subprocess.Popen:
    words = shlex.split(command)
    if not (words[-1].startswith(">") and len(words[-1]) > 1):
        return subprocess.Popen(words, start_new_session=True)
    log = words.pop()[1:]
    os.makedirs(os.path.dirname(log) or ".", exist_ok=True)
    with open(log, "ab") as output:
        return subprocess.Popen(
            words, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


OPTIONS = ("--wait-for", "--ca-file", "--ready", "--then")


def main(arguments: list[str]) -> int:
    options: dict[str, str] = {}
    while arguments[:1] and arguments[0] in OPTIONS:
        options[arguments[0]] = arguments[1]
        arguments = arguments[2:]
    wait_for, ca_file = options.get("--wait-for"), options.get("--ca-file")
    commands = arguments
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    processes = [start(commands[0])]
    if wait_for:
        deadline = time.monotonic() + WAIT_SECONDS
        while not stopping and processes[0].poll() is None and not answers(wait_for, ca_file):
            if time.monotonic() > deadline:
                print(f"{wait_for} did not answer within {WAIT_SECONDS} s", file=sys.stderr)
                stop(processes)
                return 1
            time.sleep(0.2)
    if not stopping and processes[0].poll() is None:
        processes += [start(c) for c in commands[1:]]
    announce = options.get("--then")
    while not stopping and all(p.poll() is None for p in processes):
        ready = options.get("--ready")
        if announce and (ready is None or answers(ready, None)):
            subprocess.run(shlex.split(announce))
            announce = None
        time.sleep(0.2)
    failed = [c for c, p in zip(commands, processes, strict=False) if p.poll() not in (None, 0)]
    if stopping:
        print("Stopping…", file=sys.stderr)
    stop(processes)
    if failed and not stopping:
        print(f"Stopped everything because this exited: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("Everything has stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

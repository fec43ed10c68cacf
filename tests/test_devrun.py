"""`make run`'s process runner stops every process tree together."""

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT, alive


def start(tmp_path, *commands):
    return subprocess.Popen(
        [sys.executable, "-m", "config.devrun", *commands],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_pids(path: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = path.read_text().split() if path.exists() else []
        if len(pids) >= count:
            return [int(p) for p in pids]
        time.sleep(0.05)
    raise AssertionError("children did not start")


def test_ctrl_c_stops_every_process_and_their_children(tmp_path):
    pids = tmp_path / "pids"
    # Each command starts a grandchild (like runserver's reloader) and records both pids.
    child = f"sh -c 'sleep 60 & echo $$ $! >> {pids}; wait'"
    runner = start(tmp_path, child, child)
    started = wait_for_pids(pids, 4)

    runner.send_signal(signal.SIGINT)

    assert runner.wait(timeout=15) == 0
    time.sleep(0.2)
    assert [pid for pid in started if alive(pid)] == []


def test_one_process_failing_stops_the_others(tmp_path):
    pids = tmp_path / "pids"
    runner = start(tmp_path, f"sh -c 'echo $$ >> {pids}; sleep 60'", "sh -c 'sleep 0.5; exit 3'")
    [survivor] = wait_for_pids(pids, 1)

    assert runner.wait(timeout=15) == 1
    assert "Stopped everything because this exited: sh -c 'sleep 0.5; exit 3'" in (
        runner.stderr.read()
    )
    time.sleep(0.2)
    assert not alive(survivor)


def test_children_of_a_process_that_already_exited_are_stopped(tmp_path):
    pids = tmp_path / "pids"
    # The first process starts a child and exits at once, leaving the child in its group.
    runner = start(tmp_path, f"sh -c 'sleep 60 & echo $! >> {pids}'", "sleep 60")
    [orphan] = wait_for_pids(pids, 1)

    assert runner.wait(timeout=15) == 0
    time.sleep(0.2)
    assert not alive(orphan)


def test_the_rest_start_only_once_the_first_answers(tmp_path):
    """The task cluster validates connections against the sandbox: it starts only once the
    sandbox answers over HTTPS with the certificate it wrote."""
    from sandbox.server import free_port

    ca_file = tmp_path / "ca.pem"
    port = free_port()
    sandbox = f"{sys.executable} manage.py run_sandbox --empty --port {port} --ca-file {ca_file}"
    # Exits at once: 0 when the sandbox's certificate is there, 3 when it is not yet.
    checks = (
        f"{sys.executable} -c \"import os, sys; sys.exit(0 if os.path.exists('{ca_file}') else 3)\""
    )
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "config.devrun",
            "--wait-for",
            f"https://127.0.0.1:{port}/_sandbox/health",
            "--ca-file",
            str(ca_file),
            sandbox,
            checks,
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )

    # The check ran after the sandbox answered, passed, and its exit stopped everything.
    assert runner.wait(timeout=60) == 0, runner.stderr.read()


def test_the_sign_in_comes_last_and_a_noisy_process_writes_to_its_log(tmp_path):
    """make run: the cluster's lines go to a log file, and the sign-in box is printed once
    the web server answers, after every start-up line; Ctrl-C says when all has stopped."""
    from sandbox.server import free_port

    port, log, printed = free_port(), tmp_path / "logs" / "cluster.log", tmp_path / "printed"
    noisy = f"sh -c 'while true; do echo cluster-line; sleep 0.05; done' >{log}"
    web = f"sh -c 'sleep 1; echo web-up; exec {sys.executable} -m http.server {port}'"
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "config.devrun",
            "--ready",
            f"http://127.0.0.1:{port}/",
            "--then",
            f"sh -c 'echo SIGN-IN; touch {printed}'",
            noisy,
            web,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert wait_for_file(printed)

    runner.send_signal(signal.SIGINT)
    out, err = runner.communicate(timeout=15)

    assert runner.returncode == 0
    lines = out.splitlines()
    assert lines[0] == "web-up" and lines[-1] == "SIGN-IN"  # the web server's lines between
    assert "cluster-line" not in out
    assert log.read_text().startswith("cluster-line\n")
    assert err.splitlines()[-1] == "Everything has stopped."


def wait_for_file(path: Path, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)
    return False

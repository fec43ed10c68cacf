"""A sandbox that cannot start leaves the running one alone: its CA certificate is written
only once its port is bound, and atomically."""

import pytest
import requests

from sandbox.server import SandboxServer


def test_a_second_sandbox_on_a_taken_port_keeps_the_first_ones_certificate(tmp_path):
    ca_file = tmp_path / "ca.pem"
    first = SandboxServer(port=0, ca_file=ca_file).start()
    try:
        trusted = ca_file.read_bytes()

        with pytest.raises(OSError):
            SandboxServer(port=first.port, ca_file=ca_file)

        assert ca_file.read_bytes() == trusted
        answer = requests.get(f"{first.url}/_sandbox/health", verify=str(ca_file), timeout=10)
        assert answer.status_code == 200
        assert list(tmp_path.iterdir()) == [ca_file]  # no temporary file left behind
    finally:
        first.stop()


def run_sandbox(port, ca_file, state_file):
    import subprocess
    import sys
    from pathlib import Path

    from bench.processes import wait_for

    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_sandbox",
            "--empty",
            "--port",
            str(port),
            "--ca-file",
            str(ca_file),
            "--state-file",
            str(state_file),
        ],
        cwd=root,
        start_new_session=True,
    )
    wait_for(f"https://127.0.0.1:{port}/_sandbox/health", str(ca_file))
    return process


def test_a_restarted_sandbox_keeps_calendars_events_and_subscriptions(tmp_path):
    """make run's sandbox: stopped (SIGTERM, as Ctrl-C to the group) and started again, the
    calendar ids the database holds still answer, with the events pushed before."""
    import signal

    from sandbox.client import SandboxControl
    from sandbox.server import free_port

    port, ca_file, state_file = free_port(), tmp_path / "ca.pem", tmp_path / "state.pickle"
    url = f"https://127.0.0.1:{port}"
    first = run_sandbox(port, ca_file, state_file)
    try:
        control = SandboxControl(url, str(ca_file))
        control.mailbox("room.kept@contoso.test")
        made = control.outlook_create(
            "room.kept@contoso.test",
            subject="Pushed before",
            start={"dateTime": "2026-12-07T09:00:00", "timeZone": "UTC"},
            end={"dateTime": "2026-12-07T10:00:00", "timeZone": "UTC"},
        )
        calendar_id = control.events("room.kept@contoso.test")[0]["calendarId"]
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=20) == 0

    second = run_sandbox(port, ca_file, state_file)
    try:
        control = SandboxControl(url, str(ca_file))
        [event] = control.events("room.kept@contoso.test")
        assert (event["id"], event["subject"], event["calendarId"]) == (
            made["id"],
            "Pushed before",
            calendar_id,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)

"""`make run` as a new user meets it: started, stopped with Ctrl-C, started again on the same
folder, the demo works the same — every connection valid, no sync error but the demo's
examples, the sandbox's calendars holding the events pushed before — and the terminal ends
with the sign-in."""

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from sandbox.server import free_port
from tests.helpers import ROOT


@pytest.fixture
def folder(tmp_path):
    """A copy of the project as a clone has it, sharing this checkout's installed .venv."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    folder = tmp_path / "bookbridge"
    for name in tracked.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    (folder / ".venv").symlink_to(ROOT / ".venv")
    assert (ROOT / ".venv" / "bin" / "python").exists(), "run `make install` first"
    return folder


class MakeRun:
    def __init__(self, folder: Path, port: int, sandbox_port: int):
        self.folder = folder
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_", "SANDBOX"))}
        env["DATABASE_URL"] = f"sqlite:///{folder / 'demo.sqlite3'}"
        env.pop("PUBLIC_BASE_URL", None)
        self.env = env
        self.process = subprocess.Popen(
            # -o: never reinstall (that would aim this checkout's .venv at the copy).
            [
                "make",
                "-o",
                ".venv/.installed",
                "run",
                f"PORT={port}",
                f"SANDBOX_PORT={sandbox_port}",
            ],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a terminal of its own: Ctrl-C reaches its group
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.2)
        return any(text in line for line in self.lines)

    def state(self) -> dict:
        script = (ROOT / "tests" / "make_run_state.py").read_text()
        out = subprocess.run(
            [str(self.folder / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", script],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return json.loads(out.splitlines()[-1])

    def settled(self, timeout: float = 120) -> dict:
        """The demo once the cluster has validated the rooms and pushed the reservations."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if (all(state["valid"].values()) and not state["outbox"]) or (
                time.monotonic() > deadline
            ):
                return state
            time.sleep(1)

    def ctrl_c(self) -> float:
        began = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=30)
        return time.monotonic() - began


def test_make_run_twice_on_one_folder(folder):
    port, sandbox_port = free_port(), free_port()

    first = MakeRun(folder, port, sandbox_port)
    assert first.wait_for_line("Ctrl-C stops everything.", timeout=240), "\n".join(first.lines)
    before = first.settled()
    box = first.lines[-12:]
    assert box[-2].startswith("│ Created superuser admin with password "), box
    assert box[-1].startswith("└")
    assert not [line for line in first.lines if "django-q" in line or '"POST /graph/' in line]
    assert first.ctrl_c() < 15
    assert "Everything has stopped." in first.lines[-2:]  # then make says "Interrupt"

    second = MakeRun(folder, port, sandbox_port)
    assert second.wait_for_line("Ctrl-C stops everything.", timeout=240), "\n".join(second.lines)
    after = second.settled()
    assert second.lines[-2].startswith("│ Log in as admin (password set earlier")
    second.ctrl_c()

    assert len(before["valid"]) == 15 and all(before["valid"].values())  # 2 in Google
    assert after["valid"] == before["valid"]
    log = (folder / ".sandbox" / "cluster.log").read_text().splitlines()
    assert (
        after["errors"]
        == before["errors"]
        == [
            "ApplicationThrottled: too many requests; retried after Retry-After.",
            "ErrorItemNotFound: no calendar named “Room bookings” in this mailbox.",
            "syncStateNotFound: the delta token expired; a full resync was started.",
        ]
    ), [line for line in log if " INFO " not in line][-40:]
    # How many the demo pushes depends on the hour: reservations already over stay behind.
    assert len(before["pushed"]) >= 10
    assert all(event_id in before["events"][user] for user, event_id in before["pushed"])
    assert after["pushed"] == before["pushed"]
    assert after["events"] == before["events"]
    assert after["outbox"] == 0

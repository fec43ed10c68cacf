"""`make run` keeps what it needs in .env (config/devenv.py), so that any
`.venv/bin/python manage.py …` in another shell talks to the same sandbox and site."""

import os
import subprocess
import sys

from config import devenv
from tests.helpers import ROOT


def test_the_values_replace_their_old_lines_and_keep_the_rest(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DEBUG=true\n# PUBLIC_BASE_URL=https://example.com\nPUBLIC_BASE_URL=http://127.0.0.1:8000\n"
    )

    devenv.write(env_file, {"PUBLIC_BASE_URL": "http://127.0.0.1:8101", "SANDBOX_ORIGIN": "x"})
    devenv.write(env_file, {"PUBLIC_BASE_URL": "http://127.0.0.1:8102", "SANDBOX_ORIGIN": "y"})

    text = env_file.read_text()
    assert text.startswith("DEBUG=true\n# PUBLIC_BASE_URL=https://example.com\n")
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == [
        "DEBUG=true",
        "PUBLIC_BASE_URL=http://127.0.0.1:8102",
        "SANDBOX_ORIGIN=y",
    ]
    assert list(tmp_path.iterdir()) == [env_file]


def test_make_run_passes_its_ports_on(tmp_path):
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8101", "SANDBOX_PORT=8444"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "-m config.devenv .env --run 127.0.0.1 8101 8444 .sandbox/ca.pem" in dry_run
    assert "runserver 127.0.0.1:8101" in dry_run
    assert "run_sandbox --port 8444" in dry_run


def test_what_make_run_writes_reaches_a_command_in_another_shell(tmp_path):
    """`make run PORT=8101 SANDBOX_PORT=8444` writes these; settings elsewhere read them."""
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "config.devenv",
            str(env_file),
            "--run",
            "127.0.0.1",
            "8101",
            "8444",
            ".sandbox/ca.pem",
        ],
        cwd=ROOT,
        check=True,
    )
    names = (
        "PUBLIC_BASE_URL",
        "SANDBOX_ORIGIN",
        "GRAPH_API_ROOT",
        "GRAPH_AUTHORITY_HOST",
        "GRAPH_CA_BUNDLE",
        "GOOGLE_API_ROOT",
        "GOOGLE_TOKEN_URI",
    )
    clean = {k: v for k, v in os.environ.items() if k not in names}
    shown = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                (
                    "import environ, sys; environ.Env.read_env(sys.argv[1]);"
                    "import os; print('|'.join(os.environ[n] for n in sys.argv[2:]))"
                ),
                str(env_file),
                *names,
            ],
            env=clean,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .split("|")
    )

    assert shown == [
        "http://127.0.0.1:8101",
        "https://127.0.0.1:8444",
        "https://127.0.0.1:8444",
        "https://127.0.0.1:8444",
        str(ROOT / ".sandbox" / "ca.pem"),
        "https://127.0.0.1:8444",
        "https://127.0.0.1:8444/token",
    ]


def test_a_bad_call_is_one_line_and_a_non_zero_exit(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "config.devenv", str(tmp_path / ".env"), "NOT-A-PAIR"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert not (tmp_path / ".env").exists()

"""Settings refuse insecure production configurations and pass Django's deploy checks."""

import os
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.helpers import ROOT


def manage(*args, **env):
    environment = {**os.environ, "DATABASE_URL": "sqlite:///:memory:", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = manage("check", DEBUG="false", SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_encryption_key_is_required_when_debug_is_off():
    result = manage("check", DEBUG="false", SECRET_KEY="x" * 60, FIELD_ENCRYPTION_KEY="")

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set when DEBUG is off." in result.stderr


def test_deploy_checks_are_clean_with_real_secrets():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k3y-" + "a1b2c3d4e5f6g7h8" * 4,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="bookbridge.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout

"""Commands end a failure the user can act on with one line and a non-zero exit, never a
traceback: the database down, a wrong FIELD_ENCRYPTION_KEY, numbers out of range, unknown
ids."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tests import factories
from tests.helpers import ROOT, database_url
from tests.sync_helpers import sandbox_tenant


def manage(*arguments: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(connection.settings_dict), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_failure(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    return line


def test_database_down():
    result = manage("sync_down", DATABASE_URL="postgres://postgres@127.0.0.1:1/bookbridge")

    line = one_line_failure(result)
    assert line.startswith("Error: the database could not be used (connection")
    assert line.endswith("Is it running, and is DATABASE_URL right?")


@pytest.mark.django_db(transaction=True)
def test_wrong_encryption_key():
    # The tenant's client secret is stored encrypted with this suite's key.
    factories.SyncConnectionFactory(tenant=sandbox_tenant())

    result = manage("validate_connections", FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode())

    assert one_line_failure(result) == (
        "Error: A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEY; "
        "was a key removed before `rotate_encryption_key` ran?"
    )


@pytest.mark.django_db(transaction=True)
def test_days_out_of_range():
    result = manage("retry_callouts", "--days", "100000000")

    assert one_line_failure(result) == (
        "CommandError: --days must be a whole number of days from 1 to 36,500 (got '100000000')."
    )


@pytest.mark.django_db(transaction=True)
def test_unknown_connection():
    result = manage("validate_connections", "--connection", "999999")

    assert one_line_failure(result) == (
        "CommandError: No sync connection with id 999999; nothing was validated."
    )

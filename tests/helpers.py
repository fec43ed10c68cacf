"""Small helpers shared by the tests: staff in a role, API clients, what a response shows,
waiting, processes. Fixtures are in conftest.py; the sandbox's tenants, rooms and bookings
in sync_helpers.py and pms_helpers.py."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests import factories

# The project's folder, where manage.py is.
ROOT = Path(__file__).resolve().parent.parent


# --- staff and clients ------------------------------------------------------------------------


def member_of(role: str, **fields):
    """A staff user in one of the roles of backoffice/roles.py (as set up by setup_roles),
    named after the role ("Back office" → back-office): the same user on a second call."""
    call_command("setup_roles")
    user = factories.UserFactory(username=role.lower().replace(" ", "-"), **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


class StaffClient(APIClient):
    """Requests acting as a member of staff, who is read afresh for each request as signing
    in reads them (so permissions are not cached between requests, and a deactivated user is
    seen). Signing in itself is tested in test_api_auth.py and test_api_clients.py."""

    def __init__(self, user, **defaults):
        super().__init__(**defaults)
        self.user_model, self.user_pk = type(user), user.pk

    def request(self, **kwargs):
        self.force_authenticate(user=self.user_model.objects.get(pk=self.user_pk))
        return super().request(**kwargs)


def client_for(user) -> APIClient:
    """A test client whose requests act as the user."""
    return StaffClient(user)


def bearer_token(role: str, name: str = "", *, client=None, **fields) -> str:
    """A bearer token from the real token endpoint, for a new API client acting with the
    role (or `client`, an django.test.Client or APIClient to ask with)."""
    from api import clients

    call_command("setup_roles")
    made, secret = clients.create(
        name or f"{role} system", group=Group.objects.get(name=role), **fields
    )
    asker = client or APIClient()
    response = asker.post(
        "/api/oauth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(made.client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def basic_auth(client_id: str, secret: str) -> str:
    """An HTTP Basic header of OAuth client credentials (each form-encoded first)."""
    import base64
    from urllib.parse import quote_plus

    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode()


# --- what a response shows --------------------------------------------------------------------


def error_of(response) -> dict:
    """The `error` object of an API error response, after checking the shape around it."""
    body = response.json()
    assert list(body) == ["error"], body
    assert set(body["error"]) == {"status", "message", "field", "details"}, body
    assert body["error"]["status"] == response.status_code
    return body["error"]


def result_ids(response) -> list:
    """The ids of an API list page, in its order."""
    assert response.status_code == 200, response.json()
    return [r["id"] for r in response.json()["results"]]


def messages_of(response) -> list[str]:
    """The messages (django.contrib.messages) of the request that made the response."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def count_queries(client, path: str, params: dict | None = None) -> int:
    """How many queries a GET of path makes (it must succeed)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params).status_code == 200
    return len(queries)


def log_operations() -> list[str]:
    """The operations of the company log, oldest first."""
    from syncconnections.models import CompanyLogEntry

    return list(CompanyLogEntry.objects.order_by("pk").values_list("operation", flat=True))


# --- waiting ----------------------------------------------------------------------------------


def wait_until(condition, timeout=30.0, interval=0.2):
    """Poll until condition() is truthy; its last value (falsy on time-out)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def log_in(page, user, password="correct horse battery staple"):
    """Sign in to the admin in a Playwright page."""
    page.goto("/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


# --- processes --------------------------------------------------------------------------------


def database_url(settings_dict) -> str:
    """The URL of the test database, for processes started by a test."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def stop_group(process, signum):
    """Signal a process group and wait for its leader (SIGKILL after 20 s)."""
    try:
        os.killpg(process.pid, signum)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def processes_with(variable: str, value: str) -> list[int]:
    """The running processes whose environment has variable=value: every process started
    from one that had it, whatever its group or session, even once its parent is gone."""
    wanted = f"{variable}={value}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            pid = int(environ.parent.name)
            if wanted in environ.read_bytes().split(b"\0") and alive(pid):
                found.append(pid)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def kill_all(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue

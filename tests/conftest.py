import pytest
from django_q.conf import Conf


@pytest.fixture(autouse=True)
def tasks_run_inline(request, monkeypatch):
    """Background tasks run inside the test unless it starts a real cluster."""
    if request.node.get_closest_marker("real_cluster") is None:
        monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture(autouse=True)
def rate_counts_start_afresh():
    """The API's and the token endpoint's request counts live in a cache of the process: each
    test starts with none, whatever the tests before it asked."""
    from django.core.cache import caches

    caches["api"].clear()


@pytest.fixture(autouse=True)
def database_used(request):
    """A test that uses the database has it left alone at the end of the session. A session
    without one (tests/unit) sets up no test database: its teardown would terminate the
    sessions of the database the settings name, the development one."""
    if request.node.get_closest_marker("django_db") or {"django_db_setup", "live_server"} & set(
        request.fixturenames
    ):
        request.getfixturevalue("test_database_left_alone")


@pytest.fixture(scope="session")
def test_database_left_alone(django_db_setup, django_db_blocker):
    """Close the sessions that threads of live servers and killed clusters may leave on the
    PostgreSQL test database, so that it can be dropped at the end."""
    yield
    from django.db import connection

    from common.concurrency import close_pools

    with django_db_blocker.unblock():
        close_pools()  # the threads syncing calendars side by side keep their connections

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """The sandbox, served over real HTTPS on a free port for the whole session."""
    from sandbox.server import SandboxServer

    server = SandboxServer(port=0, ca_file=tmp_path_factory.mktemp("sandbox") / "ca.pem")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    """A freshly reset sandbox, with Graph and Rover settings aimed at it."""
    from accounts_pms.rover import forget_tokens
    from sandbox.client import SandboxControl
    from syncconnections.google import GoogleTokens
    from syncconnections.graph import TokenProvider

    settings.GRAPH_API_ROOT = sandbox_server.url
    settings.GRAPH_AUTHORITY_HOST = sandbox_server.url
    settings.GRAPH_CA_BUNDLE = str(sandbox_server.ca_file)
    settings.ROVER_CA_BUNDLE = str(sandbox_server.ca_file)
    settings.GOOGLE_API_ROOT = sandbox_server.url
    settings.GOOGLE_TOKEN_URI = f"{sandbox_server.url}/token"
    settings.GOOGLE_CA_BUNDLE = str(sandbox_server.ca_file)
    control = SandboxControl(sandbox_server.url, str(sandbox_server.ca_file))
    control.reset()
    TokenProvider.forget_all()
    GoogleTokens.forget_all()
    forget_tokens()
    yield control
    TokenProvider.forget_all()
    GoogleTokens.forget_all()
    forget_tokens()


@pytest.fixture
def tenant(sandbox):
    """A Microsoft 365 tenant with the sandbox's credentials and domain contoso.test."""
    from tests.sync_helpers import sandbox_tenant

    return sandbox_tenant()


@pytest.fixture
def room(sandbox, tenant):
    """A room with a validated, active connection to its sandbox mailbox."""
    from tests.sync_helpers import connected_room

    return connected_room(sandbox, tenant)


@pytest.fixture
def live_room(sandbox, tenant, live_server, settings):
    """A room on live sync, its subscription's notifications posted to the live server. (A
    module that has them go elsewhere defines a live_room of its own.)"""
    from tests.sync_helpers import connected_room

    settings.PUBLIC_BASE_URL = live_server.url
    return connected_room(sandbox, tenant, use_live_sync=True)


@pytest.fixture
def google_key(sandbox):
    """A service account of the sandbox's Google Workspace: its key file."""
    return sandbox.google_service_account()


@pytest.fixture
def workspace_room(sandbox, google_key):
    """A Google Workspace room with a validated, active connection of a Google tenant."""
    from tests.sync_helpers import google_room, google_tenant

    return google_room(sandbox, google_tenant(google_key))


@pytest.fixture
def eva(sandbox, google_key):
    """Eva Smit, a person of the Workspace (and staff here), making meetings in her own
    Google calendar."""
    from syncconnections.google import GoogleClient
    from tests import factories
    from tests.sync_helpers import GOOGLE_EVA

    sandbox.google_user(GOOGLE_EVA)
    factories.StaffFactory(first_name="Eva", last_name="Smit", email=GOOGLE_EVA)
    return GoogleClient(google_key, GOOGLE_EVA, sleep=lambda seconds: None)


@pytest.fixture
def stayntouch(sandbox, sandbox_server):
    """StayNTouch settings, enabled, aimed at the sandbox's Rover."""
    from tests.pms_helpers import sandbox_stayntouch

    return sandbox_stayntouch(sandbox_server)


@pytest.fixture
def linked(stayntouch):
    """The documentation's example account, synced to the sandbox's Rover."""
    from accounts_pms.accounts import sync_account
    from tests.pms_helpers import gen25

    account = gen25()
    assert sync_account(account).ok
    return account


@pytest.fixture
def webhook_receiver():
    from tests.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


# Set in the environment of the clusters a test starts, and inherited by every process they
# start: how the end of the test finds them all, whatever their group or session.
CLUSTER_MARK = "BOOKBRIDGE_TEST_CLUSTER"


@pytest.fixture
def start_cluster(transactional_db, sandbox_server):
    """Start real django-q2 clusters (`manage.py qcluster`) on the test database, aimed at
    the sandbox. Use with @pytest.mark.real_cluster so that tasks are queued, not run inline.

    At the end of the test every process they started is killed, and waited for: the
    supervisor's group, the cluster's own session, and what outlived a supervisor the test
    killed. Not stopped in order: that waits for the item in hand (up to 8 s) to end work
    no one will look at; tests/test_cluster_stop.py tests the orderly stop."""
    import os
    import subprocess
    import sys
    import time
    import uuid

    from django.db import connection

    from tests.helpers import ROOT, database_url, kill_all, processes_with

    mark = uuid.uuid4().hex
    started = []

    def start(**extra_env):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "GRAPH_API_ROOT": sandbox_server.url,
            "GRAPH_AUTHORITY_HOST": sandbox_server.url,
            "GRAPH_CA_BUNDLE": str(sandbox_server.ca_file),
            "GOOGLE_API_ROOT": sandbox_server.url,
            "GOOGLE_TOKEN_URI": f"{sandbox_server.url}/token",
            "GOOGLE_CA_BUNDLE": str(sandbox_server.ca_file),
            "TASK_WORKERS": "1",
            "LOG_LEVEL": "WARNING",
            **extra_env,
            CLUSTER_MARK: mark,
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True
        )
        started.append(process)
        return process

    yield start
    deadline = time.monotonic() + 10
    while left := processes_with(CLUSTER_MARK, mark):
        assert time.monotonic() < deadline, f"cluster processes outlived SIGKILL: {left}"
        kill_all(left)
        time.sleep(0.01)
    for process in started:
        process.wait()


@pytest.fixture
def task_cluster(start_cluster):
    """One real cluster for the test (see start_cluster)."""
    return start_cluster()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A Playwright page in Debian's Chromium. Without Chromium the test fails in CI (CI=true)
    and is skipped elsewhere."""
    import os

    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        # A browser an hour off the site's zone (Europe/Amsterdam), as a user abroad has.
        page = browser.new_page(base_url=live_server.url, timezone_id="UTC")
        page.set_default_timeout(15_000)
        yield page
        # Queries the test made inside Playwright's context used a connection of their own.
        connections.close_all()
        browser.close()


SCREENSHOTS = "docs/screenshots"


@pytest.fixture
def screenshot(tmp_path):
    """Take a screenshot of the page: into docs/screenshots (the README's pictures) when
    UPDATE_SCREENSHOTS is set, else into the test's own folder, so that `make test` leaves
    the work tree as it found it."""
    import os
    from pathlib import Path

    folder = (
        Path(__file__).resolve().parent.parent / SCREENSHOTS
        if os.environ.get("UPDATE_SCREENSHOTS")
        else tmp_path
    )

    def take(page, name, **options):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), **options)
        return folder / name

    return take

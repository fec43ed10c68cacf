import pytest
from django_q.conf import Conf


@pytest.fixture(autouse=True)
def tasks_run_inline(request, monkeypatch):
    """Background tasks run inside the test unless it starts a real cluster."""
    if request.node.get_closest_marker("real_cluster") is None:
        monkeypatch.setattr(Conf, "SYNC", True)


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
    from syncconnections.graph import TokenProvider

    settings.GRAPH_API_ROOT = sandbox_server.url
    settings.GRAPH_AUTHORITY_HOST = sandbox_server.url
    settings.GRAPH_CA_BUNDLE = str(sandbox_server.ca_file)
    settings.ROVER_CA_BUNDLE = str(sandbox_server.ca_file)
    control = SandboxControl(sandbox_server.url, str(sandbox_server.ca_file))
    control.reset()
    TokenProvider.forget_all()
    forget_tokens()
    yield control
    TokenProvider.forget_all()
    forget_tokens()


@pytest.fixture
def webhook_receiver():
    from tests.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver()
    yield receiver
    receiver.close()

import pytest
from django_q.conf import Conf


@pytest.fixture(autouse=True)
def tasks_run_inline(request, monkeypatch):
    """Background tasks run inside the test unless it starts a real cluster."""
    if request.node.get_closest_marker("real_cluster") is None:
        monkeypatch.setattr(Conf, "SYNC", True)

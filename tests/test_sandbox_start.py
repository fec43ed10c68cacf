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

import signal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sandbox.control import seed_everything
from sandbox.seed import from_database
from sandbox.server import SandboxServer


class Command(BaseCommand):
    help = (
        "Serve the local stand-ins for Microsoft Graph (with its token endpoint) and the "
        "StayNTouch Rover PMS over HTTPS, seeded with this database's rooms and staff."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8443)
        parser.add_argument(
            "--ca-file",
            default=".sandbox/ca.pem",
            help="Where to write the CA certificate clients must trust.",
        )
        parser.add_argument(
            "--empty", action="store_true", help="Start with only the default app registration."
        )
        parser.add_argument(
            "--state-file",
            default=None,
            help="Keep the sandbox's mailboxes, events and subscriptions in this file across "
            "restarts (make run: .sandbox/state.pickle). Default: in memory only.",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        ca_file: str,
        empty: bool,
        state_file: str | None,
        **options: Any,
    ) -> None:
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be from 0 to 65535, not {port}.")
        try:
            server = SandboxServer(host, port, Path(ca_file), state_file=state_file)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None
        if not empty:
            seeded = seed_everything(server.app, from_database())
            self.stdout.write(
                f"Seeded {seeded['mailboxes']} mailboxes and {seeded['rooms']} "
                "rooms from the database."
            )
        self.stdout.write(f"Sandbox on {server.url}  (CA certificate: {ca_file})")
        # SIGTERM (systemd, make run's Ctrl-C to the group) ends it as Ctrl-C does: saved.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt

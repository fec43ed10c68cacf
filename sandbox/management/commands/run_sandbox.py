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

    def handle(
        self, *args: Any, host: str, port: int, ca_file: str, empty: bool, **options: Any
    ) -> None:
        try:
            server = SandboxServer(host, port, Path(ca_file))
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None
        if not empty:
            seeded = seed_everything(server.app, from_database())
            self.stdout.write(
                f"Seeded {seeded['mailboxes']} mailboxes and {seeded['rooms']} "
                "rooms from the database."
            )
        self.stdout.write(f"Sandbox on {server.url}  (CA certificate: {ca_file})")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from backoffice import demo
from common.commands import QuietCommand


class Command(QuietCommand):
    help = (
        "Add the demo data that is missing: rooms, staff, accounts, two weeks of reservations, "
        "and a tenant and StayNTouch settings aimed at the local sandbox."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Load even with DEBUG off (a test database)."
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo adds a sandbox tenant and demo bookings; with DEBUG off it runs only "
                "with --force, on a database meant for it."
            )
        summary = demo.load()
        self.say(
            f"Demo data ready: {summary.locations} locations, {summary.resources} rooms, "
            f"{summary.reservations} reservations, {summary.connections} sync connections."
        )

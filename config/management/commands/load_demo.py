from typing import Any

from config import demo
from config.commands import QuietCommand


class Command(QuietCommand):
    help = (
        "Load (or refresh) the demo data: rooms, staff, accounts, reservations, a sandbox tenant."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo.load()
        self.say(
            f"Demo data ready: {summary.locations} locations, {summary.resources} rooms, "
            f"{summary.reservations} reservations, {summary.connections} sync connections."
        )

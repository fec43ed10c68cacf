from typing import Any

from django.core.management.base import CommandError

from common.commands import QuietCommand
from syncconnections.inbound.nightly import nightly_sync


class Command(QuietCommand):
    help = (
        "Nightly: renew subscriptions, roll each connection's window and catch up with delta, "
        "recompute series statuses, retry waiting outbound changes; prints a summary."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = nightly_sync(progress=self.progress)
        for line in summary.lines():
            self.say(line)
        if summary.failed or summary.subscriptions.failed:
            raise CommandError("\n".join(summary.lines()))

from typing import Any

from django.core.management.base import CommandError

from common.commands import QuietCommand
from syncconnections.inbound.subscriptions import refresh_subscriptions


class Command(QuietCommand):
    help = (
        "Renew live-sync subscriptions expiring within 24 hours, recreate missing or lapsed "
        "ones (catching up with delta), remove those no longer wanted, and delete any other "
        "subscription Graph holds for this site's notification URL."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = refresh_subscriptions()
        self.say(summary.line())
        if summary.failed:
            raise CommandError(
                f"{summary.failed} subscription(s) could not be refreshed; "
                "see the sync errors (Subscription Refresh)."
            )

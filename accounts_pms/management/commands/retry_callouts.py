from typing import Any

from django.core.management.base import CommandError, CommandParser

from accounts_pms.retry import DEFAULT_MAX_AGE_DAYS, MAX_ATTEMPTS, retry_due
from common.commands import QuietCommand

# A hundred years: older callouts cannot exist, and a larger number overflows dates.
MAX_DAYS = 36_500


def positive_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise CommandError(
            f"--days must be a whole number of days from 1 to {MAX_DAYS:,} (got {value!r})."
        )
    return days


class Command(QuietCommand):
    help = (
        "Retry failed StayNTouch callouts younger than --days whose back-off is over "
        f"(5 minutes after the first failure, doubling up to 6 hours; at most {MAX_ATTEMPTS} "
        "attempts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=str, default=str(DEFAULT_MAX_AGE_DAYS))

    def handle(self, *args: Any, **options: Any) -> None:
        summary = retry_due(positive_days(options["days"]))
        self.say(
            f"Callouts retried: {summary.retried} ({summary.succeeded} succeeded, "
            f"{summary.failed} failed again)."
        )
        if summary.failed:
            raise CommandError(
                f"{summary.failed} callout(s) failed again; see the StayNTouch requests."
            )

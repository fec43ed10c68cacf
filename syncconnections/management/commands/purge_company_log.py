import argparse
from typing import Any

from common.commands import QuietCommand
from syncconnections import company_log


def days(value: str) -> int:
    try:
        number = int(value)
        company_log.validate_days(number)
    except ValueError as error:
        message = f"must be a whole number of days from 1 to {company_log.MAX_DAYS:,}"
        raise argparse.ArgumentTypeError(f"{message}, not {value!r}") from error
    return number


def batch_size(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return number


class Command(QuietCommand):
    help = (
        "Delete company log entries older than DAYS days, in batches (each its own "
        "transaction). --dry-run only counts them."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--older-than",
            type=days,
            required=True,
            metavar="DAYS",
            help="Delete entries created more than DAYS days ago (at least 1).",
        )
        parser.add_argument(
            "--batch-size",
            type=batch_size,
            default=company_log.BATCH_SIZE,
            help=f"Entries per DELETE (default {company_log.BATCH_SIZE:,}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print how many would be deleted; delete none."
        )

    def handle(
        self, *args: Any, older_than: int, batch_size: int, dry_run: bool, **options: Any
    ) -> None:
        if dry_run:
            count = company_log.older_than(older_than).count()
            self.stdout.write(f"{count:,} entries older than {older_than} days would be deleted.")
            return
        deleted = company_log.purge(older_than, batch_size=batch_size, on_batch=self.show_progress)
        self.end_progress(deleted)
        self.say(f"Deleted {deleted:,} company log entries older than {older_than} days.")

    def show_progress(self, total: int) -> None:
        if self.chatty and self.stdout.isatty():
            self.stdout.write(f"\rDeleted {total:,}…", ending="")

    def end_progress(self, total: int) -> None:
        if self.chatty and self.stdout.isatty() and total:
            self.stdout.write("\r", ending="")  # the summary takes the progress line's place

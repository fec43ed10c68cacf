"""Base for management commands: quiet under cron, informative on a terminal."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.core.management.base import BaseCommand

T = TypeVar("T")


class QuietCommand(BaseCommand):
    """Prints progress only when asked (-v 2) or when writing to a terminal.

    Errors always surface: raise CommandError for a non-zero exit with a clear message.
    """

    def execute(self, *args: Any, **options: Any) -> Any:
        verbosity = options.get("verbosity", 1)
        self.chatty = verbosity >= 2 or (verbosity == 1 and self.stdout.isatty())
        return super().execute(*args, **options)

    def say(self, message: str) -> None:
        if self.chatty:
            self.stdout.write(message)

    def progress(self, items: Iterable[T], label: str) -> Iterator[T]:
        """Yield the items, drawing a progress bar when writing to a terminal."""
        items = list(items)
        show = self.stdout.isatty() and items
        for done, item in enumerate(items, start=1):
            yield item
            if show:
                filled = int(30 * done / len(items))
                self.stdout.write(
                    f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{len(items)}",
                    ending="",
                )
        if show:
            self.stdout.write("")


def failure_in_one_line(error: BaseException) -> str | None:
    """What a command's user needs to read of a failure they can act on, in one line; None
    for anything else (a bug, whose traceback is wanted)."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import InterfaceError, OperationalError

    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if isinstance(error, OperationalError | InterfaceError):
        return (
            f"the database could not be used ({first_line}). "
            "Is it running, and is DATABASE_URL right?"
        )
    if isinstance(error, ImproperlyConfigured):  # settings, and secrets no key decrypts
        return first_line
    return None

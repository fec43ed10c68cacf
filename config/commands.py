"""Base for management commands: quiet under cron, informative on a terminal."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


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

from typing import Any

from django.core.management.base import CommandError

from common.commands import QuietCommand
from syncconnections import connection_setup
from syncconnections.models import SyncConnection


class Command(QuietCommand):
    help = (
        "Validate sync connections now (all, or those named): domain, mailbox and calendar. "
        "Exits non-zero when any is not valid."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--connection",
            type=int,
            action="append",
            dest="ids",
            help="A connection id; repeat for several. Default: all.",
        )

    def handle(self, *args: Any, ids: list[int] | None, **options: Any) -> None:
        connections = SyncConnection.objects.order_by("pk")
        if ids:
            connections = connections.filter(pk__in=ids)
            unknown = sorted(set(ids) - set(connections.values_list("pk", flat=True)))
            if unknown:
                raise CommandError(
                    f"No sync connection with id {', '.join(map(str, unknown))}; nothing "
                    "was validated."
                )
        results = [
            connection_setup.validate(pk)
            for pk in self.progress(connections.values_list("pk", flat=True), "Validating")
        ]
        failed = [r for r in results if not r.valid]
        self.say(f"{len(results) - len(failed)} of {len(results)} connections are valid.")
        if failed:
            raise CommandError("\n".join(r.summary for r in failed))

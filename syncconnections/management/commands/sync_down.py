from typing import Any

from django.core.management.base import CommandError

from common.commands import QuietCommand
from syncconnections.inbound.delta import sync_down
from syncconnections.inbound.nightly import syncing_connections
from syncconnections.models import SyncConnection


class Command(QuietCommand):
    help = "Read Outlook changes now (delta) for all syncing connections, or those named."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--connection",
            type=int,
            action="append",
            dest="ids",
            help="A connection id; repeat for several. Default: all.",
        )

    def handle(self, *args: Any, ids: list[int] | None, **options: Any) -> None:
        if ids:
            refuse_unsyncable(ids)
        results = [sync_down(pk) for pk in self.progress(ids or syncing_connections(), "Syncing")]
        created = sum(r.changes.created for r in results)
        updated = sum(r.changes.updated for r in results)
        self.say(
            f"Synced {len(results)} connections: {created} reservations created, {updated} updated."
        )
        failed = [r for r in results if not r.ok]
        if failed:
            raise CommandError("\n".join(f"{r.connection}: {r.error}" for r in failed))


def refuse_unsyncable(ids: list[int]) -> None:
    syncing = set(syncing_connections().filter(pk__in=ids))
    known = set(SyncConnection.objects.filter(pk__in=ids).values_list("pk", flat=True))
    problems = [
        f"No sync connection has id {pk}."
        if pk not in known
        else f"Sync connection {pk} does not sync down: it is not active and valid, or its "
        "tenant syncs outbound only."
        for pk in dict.fromkeys(ids)
        if pk not in syncing
    ]
    if problems:
        raise CommandError("\n".join(problems))

"""Deleting the events of reservations that no longer exist (or of a mailbox a connection
no longer points at)."""

from __future__ import annotations

from collections import defaultdict

from errors.models import Operation
from errors.recording import record
from syncconnections.google import GoogleClient, GoogleError
from syncconnections.graph import BatchResult, GraphClient, GraphError
from syncconnections.models import OutlookEvent, SyncConnection
from syncconnections.outbound import google_push
from syncconnections.outbound.summary import PushSummary

BATCH = 500


class OrphanRemover:
    def __init__(self, summary: PushSummary) -> None:
        self.summary = summary
        self.kept: set[int] = set()  # failed for now; the next run tries them again

    def run(self) -> None:
        while orphans := list(
            OutlookEvent.objects.filter(reservation__isnull=True, series__isnull=True)
            .filter(sync_connection__in=SyncConnection.objects.pushing())
            .exclude(pk__in=self.kept)
            .select_related("sync_connection__tenant")[:BATCH]
        ):
            self._remove(orphans)

    def _remove(self, orphans: list[OutlookEvent]) -> None:
        by_tenant: dict[int, list[OutlookEvent]] = defaultdict(list)
        for orphan in orphans:
            by_tenant[orphan.sync_connection.tenant_id].append(orphan)
        gone = []
        for links in by_tenant.values():
            results = self._delete(links)
            for link, result in zip(links, results, strict=True):
                if result.ok or result.status == 404:
                    gone.append(link.pk)
                    self.summary.deleted += 1
                elif result.error.permanent:
                    record(
                        operation=Operation.DELETE,
                        stage="delete event",
                        connection=link.sync_connection,
                        error=result.error,
                        message=f"{result.error.message} (event {link.event_id} of a deleted "
                        f"reservation, in {link.mailbox})",
                    )
                    gone.append(link.pk)
                    self.summary.failed += 1
                else:
                    self.kept.add(link.pk)
                    self.summary.retrying += 1
        OutlookEvent.objects.filter(pk__in=gone).delete()

    @staticmethod
    def _delete(links: list[OutlookEvent]) -> list[BatchResult]:
        """Delete these events of one tenant's calendars, in its provider's batches."""
        tenant = links[0].sync_connection.tenant
        if tenant.is_google:
            try:
                google = GoogleClient.for_tenant(tenant)
            except ValueError as exc:  # the tenant's key file is none
                error = GoogleError(str(exc), permanent=True)
                return [BatchResult(str(i), 0, None, error) for i in range(len(links))]
            writes = [
                google_push.Write(
                    google_push.DELETE,
                    link.sync_connection.calendar_id or link.mailbox,
                    link.event_id,
                    {},
                )
                for link in links
            ]
            return google_push.send(google, writes)
        client = GraphClient.for_tenant(tenant)
        requests = [
            client.delete_event_request(str(i), link.mailbox, link.event_id)
            for i, link in enumerate(links)
        ]
        try:
            return client.batch(requests)
        except GraphError as exc:
            return [BatchResult(str(i), 0, None, exc) for i in range(len(links))]

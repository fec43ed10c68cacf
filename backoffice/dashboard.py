"""Sync health on the admin index: what needs attention, each figure a link to its list.

A few aggregate queries in all, each served by an index, so the page stays fast however big
the logs grow. A section is shown only to users who may open the list it links to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from accounts_pms.models import CalloutState, StayNTouchRequest
from backoffice.health import task_queue_status
from cancellations.models import CancellationRequest, Decision
from errors.models import Operation, SyncError
from syncconnections.models import ConflictState, OutlookConflict, SyncConnection
from syncconnections.models.connections import CONNECTION_STATES


@dataclass
class Figure:
    label: str
    value: str
    url: str
    attention: bool = False  # shown highlighted: someone should look


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    note: str = ""


def changelist(name: str, **params: str) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def sync_health(user: AbstractBaseUser | AnonymousUser) -> list[Section]:
    sections = []
    if user.has_perm("syncconnections.view_syncconnection"):
        sections.append(connections())
    if user.has_perm("errors.view_syncerror"):
        sections.append(recent_errors())
    if user.has_perm("cancellations.view_cancellationrequest"):
        sections.append(cancellation_requests())
    if user.has_perm("syncconnections.view_outlookconflict"):
        sections.append(outlook_conflicts())
    if user.has_perm("accounts_pms.view_stayntouchrequest"):
        sections.append(failed_callouts())
    if user.has_perm("django_q.view_ormq"):
        sections.append(task_queue())
    return sections


def connections() -> Section:
    counts = SyncConnection.objects.aggregate(
        **{key: Count("pk", filter=condition) for key, (_, condition) in CONNECTION_STATES.items()},
        stalest=Min("last_synced_at", filter=Q(active=True)),
        latest=Max("last_synced_at", filter=Q(active=True)),
    )
    url = "syncconnections_syncconnection"
    figures = [
        Figure(
            label,
            str(counts[key]),
            changelist(url, state=key),
            key == "invalid" and counts[key] > 0,
        )
        for key, (label, _) in CONNECTION_STATES.items()
    ]
    note = ""
    if counts["latest"]:
        note = (
            f"Last sync {_ago(counts['latest'])}; the longest without one: "
            f"{_ago(counts['stalest'])}."
        )
    return Section("Microsoft 365 connections", figures, note)


def recent_errors() -> Section:
    since = timezone.now() - timedelta(hours=24)
    counts = {
        operation: (total, still_open)
        for operation, total, still_open in SyncError.objects.filter(created_at__gte=since)
        .values("operation")
        .annotate(total=Count("pk"), still_open=Count("pk", filter=Q(resolved=False)))
        .values_list("operation", "total", "still_open")
    }
    url = "errors_syncerror"
    figures = []
    for value, label in Operation.choices:
        total, still_open = counts.get(value, (0, 0))
        shown = str(total) if still_open == total else f"{total} ({still_open} open)"
        # Only an open error needs a person: resolved ones are history, not a warning.
        link = changelist(url, recent="24h", operation__exact=value)
        figures.append(Figure(label, shown, link, still_open > 0))
    return Section("Sync errors, last 24 hours", figures)


def cancellation_requests() -> Section:
    pending = CancellationRequest.objects.filter(state=Decision.PENDING).count()
    url = changelist("cancellations_cancellationrequest", state__exact=Decision.PENDING)
    return Section("Cancellation requests", [Figure("Pending", str(pending), url, pending > 0)])


def outlook_conflicts() -> Section:
    """Reservations held back by an Outlook meeting in their room (served by the conflicts'
    (state, created_at) index)."""
    still_open = OutlookConflict.objects.open().count()
    url = changelist("syncconnections_outlookconflict", state__exact=ConflictState.OPEN)
    return Section("Conflicts with Outlook", [Figure("Open", str(still_open), url, still_open > 0)])


def failed_callouts() -> Section:
    failed = StayNTouchRequest.objects.filter(state=CalloutState.FAILED).count()
    url = changelist("accounts_pms_stayntouchrequest", state__exact=CalloutState.FAILED)
    return Section("StayNTouch callouts", [Figure("Failed", str(failed), url, failed > 0)])


def task_queue() -> Section:
    status = task_queue_status()
    url = changelist("django_q_ormq")
    if "queued" not in status:
        return Section("Task queue", note="The task queue could not be read.")
    oldest = status["oldest_queued_seconds"]
    return Section(
        "Task queue",
        [
            Figure("Queued", str(status["queued"]), url),
            Figure(
                "Oldest queued",
                _duration(oldest) if status["queued"] else "—",
                url,
                status["status"] != "ok",
            ),
        ],
        ""
        if status["status"] == "ok"
        else "Queued work is waiting too long: is a cluster running?",
    )


def _ago(moment: dt.datetime) -> str:
    return f"{_duration((timezone.now() - moment).total_seconds())} ago"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"

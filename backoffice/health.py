"""GET /healthz: is the database reachable and is the task queue being worked off?"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.status import Stat

logger = logging.getLogger(__name__)

# Queued work older than this means no cluster is picking it up.
MAX_QUEUE_AGE = timedelta(minutes=10)


def failure(check: str, exc: Exception) -> dict[str, Any]:
    # The detail (host names, users) goes to the log, not to whoever asks /healthz.
    logger.error("health check %s failed: %s", check, exc)
    return {"status": "error", "error": type(exc).__name__}


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return failure("database", exc)
    return {"status": "ok", "vendor": connection.vendor}


def task_queue_status() -> dict[str, Any]:
    now = timezone.now()
    try:
        tasks = OrmQ.objects.filter(key=Conf.CLUSTER_NAME)
        waiting = tasks.filter(lock__lte=now)
        queued = waiting.count()
        oldest = waiting.aggregate(oldest=Min("lock"))["oldest"]
        in_progress = tasks.filter(lock__gt=now).count()
    except DatabaseError as exc:
        return failure("task queue", exc)
    try:
        clusters: int | None = len(Stat.get_all())
    except Exception:  # the heartbeat cache is informative only
        clusters = None
    oldest_age = (now - oldest).total_seconds() if oldest else 0.0
    status = "stalled" if oldest_age > MAX_QUEUE_AGE.total_seconds() else "ok"
    return {
        "status": status,
        "queued": queued,
        "in_progress": in_progress,
        "oldest_queued_seconds": round(oldest_age, 1),
        "clusters": clusters,
    }


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_status()
    task_queue = task_queue_status() if database["status"] == "ok" else {"status": "unknown"}
    healthy = database["status"] == "ok" and task_queue["status"] == "ok"
    body = {"status": "ok" if healthy else "error", "database": database, "task_queue": task_queue}
    return JsonResponse(body, status=200 if healthy else 503)

"""GET /healthz reports the database and the task queue."""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["task_queue"] == {
        "status": "ok",
        "queued": 0,
        "in_progress": 0,
        "oldest_queued_seconds": 0.0,
        "clusters": 0,
    }


def test_queue_not_worked_off_is_unhealthy(client):
    OrmQ.objects.create(
        key=Conf.CLUSTER_NAME, payload="x", lock=timezone.now() - timedelta(minutes=11)
    )
    OrmQ.objects.create(key=Conf.CLUSTER_NAME, payload="y", lock=timezone.now())

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["task_queue"]["status"] == "stalled"
    assert body["task_queue"]["queued"] == 2
    assert body["task_queue"]["oldest_queued_seconds"] >= 660


def test_database_down_is_unhealthy(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("backoffice.health.connection.cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": {"status": "error", "error": "DatabaseError"},
        "task_queue": {"status": "unknown"},
    }


def test_head_is_answered_and_post_refused(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405

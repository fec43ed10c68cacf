"""The task queue is configured so that a killed worker's job runs again, finitely."""

from django.conf import settings


def test_orm_broker_with_retry_above_timeout_and_finite_attempts():
    q = settings.Q_CLUSTER

    assert q["orm"] == "default"
    assert q["timeout"] < q["retry"]
    assert 0 < q["max_attempts"] <= 10
    assert q["catch_up"] is False

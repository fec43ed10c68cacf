"""The system check that keeps jobs committing with their change: the task queue's broker
is the default database."""

from config.checks import task_broker_is_the_database


def errors_with(settings, **cluster):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, **cluster}
    return [(e.id, e.msg) for e in task_broker_is_the_database(None)]


def test_the_orm_broker_on_the_default_database_passes(settings):
    assert errors_with(settings) == []


def test_another_database_is_refused(settings):
    assert errors_with(settings, orm="tasks") == [
        (
            "bookbridge.E002",
            "Q_CLUSTER must use the ORM broker on the default database (orm='default'); "
            "it has orm='tasks'.",
        )
    ]


def test_a_redis_broker_is_refused(settings):
    assert errors_with(settings, redis={"host": "127.0.0.1"}) == [
        (
            "bookbridge.E002",
            "Q_CLUSTER must use the ORM broker on the default database (orm='default'); "
            "it has orm='default' and redis.",
        )
    ]

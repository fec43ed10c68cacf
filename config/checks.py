from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from common.encryption import check_keys


@checks.register(checks.Tags.security)
def field_encryption_keys(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        check_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="bookbridge.E001")]
    return []


@checks.register()
def task_broker_is_the_database(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Jobs are enqueued in the transaction of the change they follow (a reservation and its
    push commit together or not at all): only django-q2's ORM broker on the default
    database does that."""
    cluster = settings.Q_CLUSTER
    broker_keys = {"redis", "sqs", "mongo", "iron_mq", "disque", "broker_class"} & set(cluster)
    if cluster.get("orm") == "default" and not broker_keys:
        return []
    return [
        checks.Error(
            f"Q_CLUSTER must use the ORM broker on the default database (orm='default'); "
            f"it has orm={cluster.get('orm')!r}"
            + (f" and {', '.join(sorted(broker_keys))}" if broker_keys else "")
            + ".",
            hint="A job would not commit with the change it follows.",
            id="bookbridge.E002",
        )
    ]

"""Settings for bench/bench_broker.py: Bookbridge's own, with django-q2's Redis broker when
BENCH_BROKER=redis (the ORM broker otherwise). Bookbridge itself keeps the ORM broker: a job
enqueued in the transaction of a change commits with it (docs/deployment.md)."""

import os

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

if os.environ.get("BENCH_BROKER") == "redis":
    Q_CLUSTER = {key: value for key, value in Q_CLUSTER.items() if key != "orm"}
    Q_CLUSTER["redis"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
# The check that the broker is the default database (bookbridge.E002) is what is measured.
SILENCED_SYSTEM_CHECKS = ["bookbridge.E002"]

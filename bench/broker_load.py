"""Enqueue N tasks that do nothing but count themselves, and time how soon a running task
cluster has done them all; prints the figures as JSON. Run by bench/bench_broker.py as
`python -m bench.broker_load N` with DJANGO_SETTINGS_MODULE=bench.broker_settings."""

from __future__ import annotations

import json
import os
import sys
import time

DONE = "bench:broker:done"


def counter():  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))


def tick() -> None:
    counter().incr(DONE)


def wait_for(count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while int(counter().get(DONE) or 0) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def main() -> None:
    import django

    django.setup()
    from django_q.tasks import async_task

    from bench.broker_load import tick  # by its module's name: the workers import it so

    tasks = int(sys.argv[1])
    counter().set(DONE, 0)
    async_task(tick)  # the cluster is up once this one is done
    if not wait_for(1, 60):
        raise SystemExit("the task cluster did not start within 60 s")
    counter().set(DONE, 0)
    began = time.monotonic()
    for _ in range(tasks):
        async_task(tick)
    enqueued = time.monotonic() - began
    finished = wait_for(tasks, 600)
    took = time.monotonic() - began
    print(json.dumps({"enqueue_s": enqueued, "total_s": took, "finished": finished}))


if __name__ == "__main__":
    main()

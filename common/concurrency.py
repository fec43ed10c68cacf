"""Work on several items at once in threads, for work that waits on the network."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import close_old_connections, connection, connections

T = TypeVar("T")
R = TypeVar("R")

_pools: dict[tuple[int, int], ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    """The process's pool of `threads` threads, made once (after a fork too: a task worker
    is a forked process, and threads do not survive a fork). Its threads outlive the calls,
    and so do their database connections: opening one costs PostgreSQL a new backend
    process, which a sync of one calendar would otherwise pay every time. They are kept as
    the request cycle keeps the web's (CONN_MAX_AGE, health-checked before use)."""
    key = (os.getpid(), threads)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = ThreadPoolExecutor(
                max_workers=threads, thread_name_prefix="in-threads"
            )
        return pool


def in_threads(work: Callable[[T], R], items: Iterable[T], threads: int) -> list[R]:
    """work(item) for each item, up to `threads` at once, results in order. Each thread has
    a database connection of its own. Inside a transaction (a test's, or a caller's atomic
    block) the items are worked on one after another in this thread: other connections
    would not see what it has not committed; and on SQLite, which takes one writer at a
    time."""
    items = list(items)
    if (
        threads <= 1
        or len(items) <= 1
        or connection.in_atomic_block
        or connection.vendor == "sqlite"
    ):
        return [work(item) for item in items]

    def one(item: T) -> R:
        close_old_connections()  # one broken or past its age is opened afresh
        try:
            return work(item)
        finally:
            close_old_connections()

    return list(_pool(threads).map(one, items))


def close_pools() -> None:
    """End the pools' threads, each closing its database connection first (a test database
    cannot be dropped while a connection to it is open)."""
    with _pools_lock:
        pools = list(_pools.items())
        _pools.clear()
    for (_, threads), pool in pools:
        # Each thread takes one of these, as none ends before all have begun.
        everyone = threading.Barrier(threads)
        for _ in range(threads):
            pool.submit(_close_connection, everyone)
        pool.shutdown(wait=True)


def _close_connection(everyone: threading.Barrier) -> None:
    everyone.wait(timeout=30)
    connections.close_all()

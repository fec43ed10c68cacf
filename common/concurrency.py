"""Work on several items at once in threads, for work that waits on the network."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection, connections

T = TypeVar("T")
R = TypeVar("R")


def in_threads(work: Callable[[T], R], items: Iterable[T], threads: int) -> list[R]:
    """work(item) for each item, up to `threads` at once, results in order. Each call has a
    database connection of its own, closed after it. Inside a transaction (a test's, or a
    caller's atomic block) the items are worked on one after another in this thread: other
    connections would not see what it has not committed; and on SQLite, which takes one
    writer at a time."""
    items = list(items)
    if (
        threads <= 1
        or len(items) <= 1
        or connection.in_atomic_block
        or connection.vendor == "sqlite"
    ):
        return [work(item) for item in items]

    def one(item: T) -> R:
        try:
            return work(item)
        finally:
            connections.close_all()  # this thread's: the pool's threads outlive the call

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="in-threads") as pool:
        return list(pool.map(one, items))

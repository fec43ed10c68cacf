"""Count database queries without keeping them (CaptureQueriesContext keeps at most 9000).

COPY statements (common.bulk on PostgreSQL) bypass Django's execute wrappers; they are
counted at the driver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class QueryCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries() -> Iterator[QueryCount]:
    from django.db import connection

    counter = QueryCount()
    with connection.execute_wrapper(counter), counting_copies(counter):
        yield counter


@contextmanager
def counting_copies(counter: QueryCount) -> Iterator[None]:
    try:
        import psycopg
    except ImportError:
        yield
        return
    copy = psycopg.Cursor.copy

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        counter.count += 1
        return copy(self, *args, **kwargs)

    psycopg.Cursor.copy = counted
    try:
        yield
    finally:
        psycopg.Cursor.copy = copy

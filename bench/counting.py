"""Count database queries without keeping them (CaptureQueriesContext keeps at most 9000)."""

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
    with connection.execute_wrapper(counter):
        yield counter

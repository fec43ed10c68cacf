"""Admin pagination for big tables: counts only as far as a person pages, and gives up a
plan that walks the whole table.

Django's admin paginator counts every row of the filtered list (`SELECT COUNT(*)`), even with
`show_full_result_count = False`. On a table of millions of rows that count costs more than the
page itself: a broad search or an unfiltered list visits every matching row. This paginator
counts at most `cap` + 1 rows, newest first like the list, so the count reads what the first
pages read and stops there:

- up to `cap` rows match: the exact number, as usual;
- more match: "more than 500", with page links up to the cap (narrow the list, with the date
  filter for example, to reach older rows);
- the unfiltered list of a big table on PostgreSQL: the planner's estimate of its size
  (pg_class.reltuples, kept by ANALYZE and autovacuum), "about 1,000,000".

For a search, PostgreSQL chooses between walking the list's ordering index until a page of
matches is found and collecting every match through the search indexes, then sorting. It
guesses from how common the term is over the whole table, so a term common long ago and rare
now (a person who left, a room given up) sends it walking back through nearly every row.
On PostgreSQL the count and the page therefore run with a time limit (`patience_ms`); past
it they run again with plain index scans off, which leaves the planner the search indexes
(bitmap scans), whose cost follows the number of matches instead. (A list that fits on one
page Django's changelist reads without the paginator; its count has found it small.)

Use it with the admin templates `admin/capped_pagination.html` and
`admin/capped_search_form.html`, included from the model's `pagination.html` and
`search_form.html` overrides, which say "more than" and "about".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db import OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.utils.functional import cached_property

T = TypeVar("T")


class CappedCountPaginator(Paginator):
    # Five pages of 100: a count reads no more than five pages do; past them, the date
    # filter narrows the list.
    cap = 500
    patience_ms: int | None = 300

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.walk_abandoned = False  # the planner's first choice ran out of patience

    @cached_property
    def found(self) -> int:
        """How many rows match, counting no further than cap + 1."""
        if isinstance(self.object_list, QuerySet):
            # Sliced, the count keeps the list's ORDER BY: it is planned like the first pages
            # (newest first through the ordering index) and stops after cap + 1 rows.
            return self.patiently(self.object_list[: self.cap + 1].count)
        return min(len(self.object_list), self.cap + 1)

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return min(self.found, self.cap)

    @property
    def exact(self) -> bool:
        return self.found <= self.cap

    def page(self, number: Any) -> Page:
        page = super().page(number)
        if isinstance(page.object_list, QuerySet):
            page.object_list = self.patiently(lambda: list(page.object_list))
        return page

    @cached_property
    def estimate(self) -> int | None:
        """The table's estimated size when the list is the whole table, else None."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        # -1 (never analysed) or an estimate below what was just counted: no use.
        return row[0] if row and row[0] > self.cap else None

    @cached_property
    def count_text(self) -> str:
        """The number of rows for people: exact, "more than 500" or "about 1,000,000"."""
        if self.exact:
            return f"{self.count:,}"
        if self.estimate is not None:
            return f"about {significant(self.estimate):,}"
        return f"more than {self.cap:,}"

    def patiently(self, evaluate: Callable[[], T]) -> T:
        """evaluate() with the planner's plan for at most patience_ms; past that, or once
        that has happened for this list, with plain index scans off (PostgreSQL only)."""
        connection = connections[self.object_list.db]
        if connection.vendor != "postgresql" or not self.patience_ms:
            return evaluate()
        if not self.object_list.query.where:
            return evaluate()  # the whole list: the ordering index has a row at every step
        if not self.walk_abandoned:
            try:
                with planner_settings(connection, statement_timeout=f"{self.patience_ms}ms"):
                    return evaluate()
            except OperationalError as error:
                if getattr(error.__cause__, "sqlstate", None) != QUERY_CANCELED:
                    raise
                self.walk_abandoned = True
        with planner_settings(connection, enable_indexscan="off"):
            return evaluate()


QUERY_CANCELED = "57014"


@contextmanager
def planner_settings(connection: BaseDatabaseWrapper, **settings: str) -> Iterator[None]:
    """PostgreSQL settings for the statements inside, put back afterwards.

    They are set for the transaction (SET LOCAL), which ends with the block, unless the block
    is a savepoint in a longer transaction (a test, an atomic request): then the former
    values are put back explicitly. An error rolls back to the savepoint, which undoes them.
    """
    nested = connection.in_atomic_block
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        former = {}
        for name, value in settings.items():
            cursor.execute(
                "SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value]
            )
            former[name] = cursor.fetchone()[0]
        yield
        if nested:
            for name, value in former.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def significant(number: int, digits: int = 2) -> int:
    """The number rounded to a few significant digits: an estimate is no more precise."""
    if number <= 0:
        return number
    return round(number, digits - 1 - int(math.log10(number)))

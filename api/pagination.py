"""Pages of results: numbered for most lists, a cursor for the company log."""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class NewestFirstCursorPagination(pagination.CursorPagination):
    """Newest first, with no COUNT and no OFFSET: the same cost on page 1 and page 10,000 of
    a table with millions of rows (each page continues from where the last one ended).

    The cursor is the id: entries are numbered as they are written, so that is newest first,
    and unlike the time (several entries of a page written in the same microsecond) it never
    ties, which DRF's cursor can only get past forwards, not back."""

    ordering = "-id"
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:  # made up, not one of ours
                raise NotFound(self.invalid_cursor_message) from None
        return cursor

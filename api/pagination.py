"""Pages of results: numbered for most lists, a cursor for the company log."""

from __future__ import annotations

from rest_framework import pagination

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class NewestFirstCursorPagination(pagination.CursorPagination):
    """Newest first, with no COUNT and no OFFSET: the same cost on page 1 and page 10,000 of
    a table with millions of rows (each page continues from where the last one ended)."""

    ordering = ("-created_at", "-id")
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

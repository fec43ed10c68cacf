"""Request checks every admin page shares, and the headers every page sends."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class DropUnusableAdminFilters:
    """A filter or search value with a NUL byte, which no database text holds (PostgreSQL
    refuses it outright), is dropped from an admin list's address with a message, rather
    than failing the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_root = reverse("admin:index")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.path.startswith(self.admin_root):
            unusable = sorted(
                {key for key, value in request.GET.lists() if "\x00" in key + "".join(value)}
            )
            if unusable:
                kept = request.GET.copy()
                for key in unusable:
                    del kept[key]
                names = ", ".join(key.replace("\x00", "") or "?" for key in unusable)
                messages.warning(
                    request, f"A filter value was not valid ({names}) and was ignored."
                )
                query = kept.urlencode()
                return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
        return self.get_response(request)


class PermissionsPolicy:
    """The Permissions-Policy header (settings.PERMISSIONS_POLICY) on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def client_address(request: HttpRequest) -> str:
    """The address a sign-in came from: the connection's, or behind a trusted proxy
    (TRUST_X_FORWARDED_FOR) the last one the proxy added to X-Forwarded-For (the ones
    before it are the client's to write)."""
    return address_in(request.META)


def address_in(meta: Mapping[str, Any]) -> str:
    """client_address from a request's META (or a copy of it, as OAuth's requests carry)."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = [a.strip() for a in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return str(meta.get("REMOTE_ADDR") or "")

"""The back office's own admin pages on the reservation admin (Find a free room), and the
lists of failed sign-ins made fit for big tables."""

from __future__ import annotations

from functools import partial
from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, IsLockedOutFilter
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.urls import path

from backoffice.availability import free_room_view
from bookings.models import Reservation
from common.admin_pagination import CappedCountPaginator
from syncconnections.admin.reservations import ReservationAdmin as SyncReservationAdmin

admin.site.unregister(Reservation)


@admin.register(Reservation)
class ReservationAdmin(SyncReservationAdmin):
    def get_urls(self) -> list[Any]:
        return [
            path(
                "free-rooms/",
                self.admin_site.admin_view(partial(free_room_view, self)),
                name="bookings_reservation_free_rooms",
            ),
            *super().get_urls(),
        ]


# --- failed sign-ins (django-axes): lists that stay fast when a guessing run fills them -------

admin.site.unregister(AccessAttempt)
admin.site.unregister(AccessFailureLog)


class SignInListMixin:
    """Newest first, counted only as far as a person pages, searched by a whole account name
    or address (both indexed), without the date drill-down and facet counts, which would
    each read every row."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    date_hierarchy = None
    search_fields = ("=username", "=ip_address")
    search_help_text = "A whole account name or address."
    ordering = ("-attempt_time",)
    sortable_by = ("attempt_time",)


@admin.register(AccessFailureLog)
class SignInFailureAdmin(SignInListMixin, AccessFailureLogAdmin):
    list_filter = ("locked_out",)


@admin.register(AccessAttempt)
class SignInAttemptAdmin(SignInListMixin, AccessAttemptAdmin):
    list_filter = (IsLockedOutFilter,)

"""The back office's own admin pages on the reservation admin: Find a free room."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin
from django.urls import path

from backoffice.availability import free_room_view
from bookings.models import Reservation
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

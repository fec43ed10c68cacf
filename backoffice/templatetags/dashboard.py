from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from backoffice.dashboard import sync_health

register = template.Library()


@register.inclusion_tag("admin/sync_health.html", takes_context=True)
def sync_health_panel(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    reads_reservations = user.has_perm("bookings.view_reservation")
    return {
        "sections": sync_health(user),
        "planner_url": reverse("admin:syncconnections_planner") if reads_reservations else "",
        "free_room_url": (
            reverse("admin:bookings_reservation_free_rooms") if reads_reservations else ""
        ),
    }

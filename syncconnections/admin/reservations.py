"""A reservation's page says how it stands in Outlook: per connection, the event Bookbridge
made or adopted, the change waiting in the outbox, and the open sync errors about it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from bookings.admin import ReservationAdmin as BaseReservationAdmin
from bookings.models import Reservation
from bookings.times import shown_in
from errors.models import SyncError
from syncconnections import room_conflicts
from syncconnections.models import OutboxEntry, OutlookConflict, OutlookEvent, SyncConnection

admin.site.unregister(Reservation)


def _link(name: str, pk: int, text: Any) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse(f"admin:{name}_change", args=[pk]), text)


@admin.register(Reservation)
class ReservationAdmin(BaseReservationAdmin):
    fieldsets = (
        *BaseReservationAdmin.fieldsets[:-1],
        ("In Outlook", {"fields": ("in_outlook",)}),
        BaseReservationAdmin.fieldsets[-1],
    )
    readonly_fields = (*BaseReservationAdmin.readonly_fields, "in_outlook")

    @admin.display(description="Outlook")
    def in_outlook(self, obj: Reservation) -> SafeString | str:
        if obj.pk is None:
            return "—"
        zone = obj.resource.location.time_zone
        return format_html(
            "{}{}{}{}",
            self._conflicts(obj),
            self._events(obj, zone),
            self._waiting(obj, zone),
            self._errors(obj),
        )

    def _conflicts(self, obj: Reservation) -> SafeString | str:
        """First, as it is what to decide: Outlook meetings in this reservation's way."""
        found = list(
            OutlookConflict.objects.open()
            .filter(reservation=obj)
            .select_related("reservation__resource__location", "sync_connection__tenant")
            .order_by("pk")
        )
        if not found:
            return ""
        return format_html(
            '<div class="bb-conflict"><strong>Conflict:</strong><ul>{}</ul></div>',
            format_html_join(
                "",
                "<li>{} {}</li>",
                (
                    (
                        room_conflicts.describe(c),
                        _link("syncconnections_outlookconflict", c.pk, "Decide…"),
                    )
                    for c in found
                ),
            ),
        )

    def _events(self, obj: Reservation, zone: str) -> SafeString:
        events = {
            e.sync_connection_id: e
            for e in OutlookEvent.objects.filter(
                Q(reservation=obj) | Q(series_id=obj.series_id, series__isnull=False)
            ).select_related("sync_connection")
        }
        targets = Q(resource_id=obj.resource_id) | Q(pk__in=events.keys())
        if obj.staff_id:
            targets |= Q(staff_id=obj.staff_id)
        connections = SyncConnection.objects.filter(targets).order_by("user_id")
        rows = []
        for connection in connections:
            calendar = _link("syncconnections_syncconnection", connection.pk, connection)
            event = events.get(connection.pk)
            if event is None:
                rows.append((calendar, "not in this calendar", "—", "—"))
                continue
            shown_id = _link("syncconnections_outlookevent", event.pk, event.event_id[-24:])
            rows.append(
                (calendar, shown_id, shown_in(event.updated_at, zone), event.change_key or "—")
            )
        if not rows:
            return mark_safe("<p>No calendar of this room or person is connected.</p>")
        return format_html(
            '<table class="bb-in-outlook"><thead><tr><th>Calendar</th><th>Outlook event</th>'
            "<th>Last pushed or read</th><th>changeKey</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def _waiting(self, obj: Reservation, zone: str) -> SafeString | str:
        entry = OutboxEntry.objects.filter(reservation=obj).first()
        if entry is None:
            return mark_safe("<p>Nothing waiting to be sent.</p>")
        retry = f", {entry.attempts} failed attempt(s)" if entry.attempts else ""
        return format_html(
            "<p>{}: a change waits to be sent since {}{}.</p>",
            _link("syncconnections_outboxentry", entry.pk, "Outbox"),
            shown_in(entry.queued_at, zone),
            retry,
        )

    def _errors(self, obj: Reservation) -> SafeString | str:
        errors = list(
            SyncError.objects.filter(reservation=obj, resolved=False).order_by("-pk")[:10]
        )
        if not errors:
            return mark_safe("<p>No open sync errors.</p>")
        return format_html(
            "<p>Open sync errors:</p><ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} — {}</li>",
                (
                    (
                        _link("errors_syncerror", e.pk, e.get_operation_display()),
                        e.error_message,
                    )
                    for e in errors
                ),
            ),
        )

"""The company log: read only, searched by e-mail, paged by cursor (no COUNT) because it
holds millions of entries. The list leaves out the original Outlook data; an entry has it."""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from api.fields import MomentField, email_or_blank, object_id
from api.filters import FilteredListMixin, ListFilters
from api.pagination import NewestFirstCursorPagination
from syncconnections import company_log
from syncconnections.models import CompanyLogEntry, LogOperation

# Shorter search terms cannot use the trigram indexes: each would read the whole table.
MIN_EMAIL_SEARCH = 3


class CompanyLogEntrySerializer(serializers.ModelSerializer):
    organizer_email = email_or_blank()
    attendee_emails = serializers.SerializerMethodField(help_text="Lower case.")

    class Meta:
        model = CompanyLogEntry
        fields = (
            "id",
            "created_at",
            "operation",
            "sync_connection",
            "mailbox",
            "organizer_email",
            "attendee_emails",
            "subject",
            "start",
            "end",
            "event_id",
            "reservation",
        )
        read_only_fields = fields

    def get_attendee_emails(self, entry: CompanyLogEntry) -> list[str]:
        return [email.strip() for email in entry.attendee_emails.split(",") if email.strip()]


class CompanyLogEntryDetailSerializer(CompanyLogEntrySerializer):
    class Meta(CompanyLogEntrySerializer.Meta):
        fields = (*CompanyLogEntrySerializer.Meta.fields, "outlook_data")
        read_only_fields = fields


class CompanyLogFilters(ListFilters):
    email = serializers.CharField(
        required=False,
        min_length=MIN_EMAIL_SEARCH,
        max_length=320,
        help_text="An e-mail address, or part of one (at least three characters), of the "
        "organizer, an attendee or the mailbox; case does not matter.",
    )
    operation = serializers.ChoiceField(choices=LogOperation.choices, required=False)
    connection = object_id("Only the entries of this sync connection.")
    reservation = object_id("Only the entries that touched this reservation.")
    event_id = serializers.CharField(
        required=False, max_length=255, help_text="A whole Outlook event id (exact)."
    )
    since = MomentField(help_text="Only entries from this moment on (a date: from that day).")
    until = MomentField(
        end_of_day=True,
        help_text="Only entries before this moment (a date: through that day).",
    )

    def apply(self, queryset: QuerySet, values: dict[str, Any]) -> QuerySet:
        if "email" in values:
            # As in the admin: a whole address exactly (a full-text index on PostgreSQL),
            # a part of one by substring (the trigram indexes).
            term = values.pop("email")
            if company_log.ADDRESS.fullmatch(term):
                condition = company_log.address_condition(term, connections[queryset.db].vendor)
            else:
                condition = (
                    Q(organizer_email__icontains=term)
                    | Q(attendee_emails__icontains=term)
                    | Q(mailbox__icontains=term)
                )
            queryset = queryset.filter(condition)
        lookups = {
            "operation": "operation",
            "connection": "sync_connection_id",
            "reservation": "reservation_id",
            "event_id": "event_id",
            "since": "created_at__gte",
            "until": "created_at__lt",
        }
        return queryset.filter(**{lookups[name]: value for name, value in values.items()})


@extend_schema_view(
    list=extend_schema(
        summary="Search the company log",
        description="Newest first. Pages by cursor: follow `next` (there is no count).",
        parameters=[CompanyLogFilters],
    ),
    retrieve=extend_schema(summary="Read a company log entry, with its Outlook data"),
)
class CompanyLogViewSet(FilteredListMixin, viewsets.ReadOnlyModelViewSet):
    """Every entry read from Microsoft 365, with the original Outlook data."""

    filters = CompanyLogFilters
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self) -> QuerySet[CompanyLogEntry]:
        if self.action == "list":
            return CompanyLogEntry.objects.defer("outlook_data")
        return CompanyLogEntry.objects.all()

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "list":
            return CompanyLogEntrySerializer
        return CompanyLogEntryDetailSerializer

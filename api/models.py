"""API clients (systems that use the API with OAuth2 client credentials) and the audit of
what they do (docs/api.md, docs/security.md).

An API client is one django-oauth-toolkit Application (its client id and hashed secret)
and one user of its own, which holds its role: requests with the client's tokens act as that
user, so the admin's model permissions apply to them as to staff. The user cannot sign in
to the admin (no usable password).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from oauth2_provider.models import Application


class ApiClient(models.Model):
    name = models.CharField(
        max_length=100, unique=True, help_text="The system that uses the API, e.g. Billing."
    )
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="api_client", editable=False
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
        help_text="The account its requests act as; it holds the client's role.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="An inactive client gets no token, and its tokens stop."
    )
    allowed_addresses = models.TextField(
        blank=True,
        help_text="Addresses or networks (CIDR) it may call from, one a line; empty for any.",
    )
    # A rotated secret keeps working until then, so the client can switch over.
    previous_secret = models.CharField(max_length=255, blank=True, editable=False)
    previous_secret_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API client"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return self.application.client_id


class ApiAuditEntryQuerySet(models.QuerySet):
    def writes(self) -> ApiAuditEntryQuerySet:
        return self.filter(kind=ApiAuditEntry.Kind.WRITE)


class ApiAuditEntry(models.Model):
    """One write by an API client, or one refused attempt to get or use a token."""

    class Kind(models.TextChoices):
        WRITE = "write", "Write"
        REFUSED = "refused", "Sign-in refused"

    at = models.DateTimeField("time")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client's name then, or the client id given when it matched no client.
    client_name = models.CharField("client", max_length=255)
    address = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    detail = models.CharField(max_length=500, blank=True)

    objects = ApiAuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "API audit entry"
        verbose_name_plural = "API audit log"
        ordering = ("-at", "-id")
        indexes = [
            # The list: newest first, whole or by kind, client, name or address.
            models.Index(fields=["-at", "-id"], name="api_audit_at"),
            models.Index(fields=["kind", "-at"], name="api_audit_kind_at"),
            models.Index(fields=["client", "-at"], name="api_audit_client_at"),
            models.Index(fields=["client_name", "-at"], name="api_audit_name_at"),
            models.Index(fields=["address", "-at"], name="api_audit_address_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["write", "refused"]), name="api_audit_kind_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_name} {self.method} {self.path} {self.status}"

"""API clients (made, shown their credentials once, rotated, stopped) and the API audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from oauth2_provider import models as oauth_models

from api import clients
from api.models import ApiAuditEntry, ApiClient
from common.admin_helpers import ObjectActionsMixin, ReadOnlyAdmin
from common.admin_pagination import CappedCountPaginator

# The toolkit's own lists (applications, tokens, grants) are managed through API clients.
for _model in (
    oauth_models.Application,
    oauth_models.AccessToken,
    oauth_models.Grant,
    oauth_models.IDToken,
    oauth_models.RefreshToken,
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

# The longest grace a rotation may give the previous secret.
MAX_GRACE_HOURS = 24 * 30


class ApiClientForm(forms.ModelForm):
    role = forms.ModelChoiceField(
        Group.objects.order_by("name"),
        required=False,
        help_text="The staff role its requests act with (README, Roles).",
    )
    permissions = forms.ModelMultipleChoiceField(
        Permission.objects.select_related("content_type").order_by(
            "content_type__app_label", "codename"
        ),
        required=False,
        widget=FilteredSelectMultiple("permissions", is_stacked=False),
        help_text="Chosen permissions, instead of or on top of the role.",
    )

    class Meta:
        model = ApiClient
        fields = ("name", "role", "permissions", "allowed_addresses", "is_active")

    # Who fills the form in (set by ApiClientAdmin.get_form): a client gets no permission
    # its maker lacks, so making one is never a way to more rights.
    acting_user: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.acting_user is not None and not self.acting_user.is_superuser:
            self._limit_to(self.acting_user.get_all_permissions())
        if self.instance.pk:
            self.fields["role"].initial = clients.role_of(self.instance)
            self.fields["permissions"].initial = list(self.instance.user.user_permissions.all())

    def _limit_to(self, held: set[str]) -> None:
        def name(permission: Permission) -> str:
            return f"{permission.content_type.app_label}.{permission.codename}"

        permissions = self.fields["permissions"]
        allowed = [p.pk for p in permissions.queryset if name(p) in held]  # type: ignore[attr-defined]
        permissions.queryset = permissions.queryset.filter(pk__in=allowed)  # type: ignore[attr-defined]
        groups = Group.objects.prefetch_related("permissions__content_type")
        within = [g.pk for g in groups if all(name(p) in held for p in g.permissions.all())]
        role = self.fields["role"]
        role.queryset = role.queryset.filter(pk__in=within)  # type: ignore[attr-defined]

    def clean_allowed_addresses(self) -> str:
        text = self.cleaned_data["allowed_addresses"]
        clients.parse_networks(text)  # a ValidationError naming what is wrong
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("role") and not data.get("permissions"):
            raise forms.ValidationError(
                "Choose a role or some permissions: without either the client may do nothing."
            )
        return data


class RotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        label="Keep the current secret working for (hours)",
        min_value=0,
        max_value=MAX_GRACE_HOURS,
        initial=24,
        help_text="Time for the client's system to switch to the new secret; 0 stops the "
        f"current one now. At most {MAX_GRACE_HOURS} hours.",
    )


@admin.register(ApiClient)
class ApiClientAdmin(ObjectActionsMixin, admin.ModelAdmin):
    form = ApiClientForm
    list_display = (
        "name",
        "role",
        "is_active",
        "addresses",
        "last_used_at",
        "secret_state",
        "client_id",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "=application__client_id")
    list_select_related = ("application", "user")
    readonly_fields = ("client_id", "last_used_at", "secret_state", "tokens", "created_at")
    actions = ("get_credentials", "rotate_secret", "revoke_tokens", "deactivate")
    object_actions = ("get_credentials", "rotate_secret", "revoke_tokens")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting_user = request.user
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "role", "permissions", "allowed_addresses", "is_active"]
        if obj is None:
            return [(None, {"fields": fields})]
        state = ["client_id", "secret_state", "tokens", "last_used_at", "created_at"]
        return [(None, {"fields": fields}), ("Credentials", {"fields": state})]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        return super().get_queryset(request).prefetch_related("user__groups")

    # --- columns --------------------------------------------------------------------------

    @admin.display(description="Role")
    def role(self, obj: ApiClient) -> str:
        groups = [g.name for g in obj.user.groups.all()]
        return ", ".join(groups) or "Chosen permissions"

    @admin.display(description="Allowed from")
    def addresses(self, obj: ApiClient) -> str:
        networks = [str(n) for n in clients.parse_networks(obj.allowed_addresses)]
        return ", ".join(networks) or "Anywhere"

    @admin.display(description="Client id")
    def client_id(self, obj: ApiClient) -> str:
        return obj.application.client_id

    @admin.display(description="Secret")
    def secret_state(self, obj: ApiClient) -> str:
        until = obj.previous_secret_valid_until
        if obj.previous_secret and until and until > timezone.now():
            local = timezone.localtime(until)
            return f"Rotated: the previous secret works until {local:%Y-%m-%d %H:%M}"
        return "Set (shown once, when made)"

    @admin.display(description="Live tokens")
    def tokens(self, obj: ApiClient) -> int:
        return clients.live_tokens(obj)

    # --- saving ---------------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        role, permissions = form.cleaned_data["role"], form.cleaned_data["permissions"]
        if change:
            obj.save()
            clients.set_role(obj, role, permissions)
            return
        made, secret = clients.create(
            obj.name, group=role, permissions=permissions, allowed_addresses=obj.allowed_addresses
        )
        if not obj.is_active:
            ApiClient.objects.filter(pk=made.pk).update(is_active=False)
        obj.pk, obj.application, obj.user = made.pk, made.application, made.user
        request._new_secret = secret  # type: ignore[attr-defined]  # shown by response_add

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # the role and permissions belong to the client's user: save_model sets them

    def response_add(self, request: HttpRequest, obj: ApiClient, *args: Any) -> HttpResponse:
        return self._credentials(request, obj, request._new_secret, made=True)  # type: ignore[attr-defined]

    def delete_model(self, request: HttpRequest, obj: ApiClient) -> None:
        clients.delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            clients.delete(client)

    # --- actions --------------------------------------------------------------------------

    @admin.action(
        description="Get client credentials (a new secret; the old one stops)",
        permissions=["change"],
    )
    def get_credentials(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> Any:
        client = self._one(request, queryset)
        if client is None:
            return None
        return self._credentials(request, client, clients.new_secret(client))

    @admin.action(
        description="Rotate secret (the old one works for a while)", permissions=["change"]
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> Any:
        client = self._one(request, queryset)
        if client is None:
            return None
        form = RotateForm(request.POST if "grace_hours" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/api/apiclient/rotate.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "client": client,
                    "form": form,
                    "title": f"Rotate the secret of {client}",
                },
            )
        grace = timedelta(hours=form.cleaned_data["grace_hours"])
        return self._credentials(request, client, clients.new_secret(client, grace=grace))

    @admin.action(description="Revoke tokens (they stop now)", permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        revoked = sum(clients.revoke_tokens(client) for client in queryset)
        self.message_user(request, f"Revoked {revoked} token(s) of {len(queryset)} client(s).")

    @admin.action(
        description="Deactivate (no new tokens; their tokens stop)", permissions=["change"]
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        count = queryset.update(is_active=False)
        self.message_user(request, f"Deactivated {count} client(s).")

    def _one(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> ApiClient | None:
        selected = list(queryset.select_related("application", "user")[:2])
        if len(selected) != 1:
            self.message_user(
                request,
                "Choose one client: its secret is shown on its own page.",
                messages.WARNING,
            )
            return None
        return selected[0]

    def _credentials(
        self, request: HttpRequest, client: ApiClient, secret: str, made: bool = False
    ) -> HttpResponse:
        """The one page that shows a secret; never cached."""
        previous_until = client.previous_secret_valid_until if client.previous_secret else None
        response = TemplateResponse(
            request,
            "admin/api/apiclient/credentials.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "client": client,
                "client_id": client.application.client_id,
                "secret": secret,
                "made": made,
                "previous_until": previous_until,
                "token_url": request.build_absolute_uri(reverse("api:token")),
                "title": f"Credentials of {client}",
            },
        )
        add_never_cache_headers(response)
        return response


@admin.register(ApiAuditEntry)
class ApiAuditEntryAdmin(ReadOnlyAdmin):
    """Read by support: what each API client wrote, and every refused token. Big in time,
    so counted only as far as a person pages and searched by whole values (indexed)."""

    list_display = ("at", "kind", "client_name", "address", "method", "path", "status", "detail")
    list_filter = ("kind",)
    search_fields = ("=client_name", "=address")
    search_help_text = "A whole client name (or client id given) or address."
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    sortable_by = ("at",)
    list_per_page = 100

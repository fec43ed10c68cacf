"""Admin building blocks shared by the apps."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import SafeString


def pretty_json(value: Any) -> SafeString | str:
    """JSON rendered readably (indented, sorted) for a read-only admin field."""
    if value in (None, "", {}, []):
        return "—"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return format_html('<pre class="bb-json">{}</pre>', value)
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre class="bb-json">{}</pre>', text)


def is_changelist(request: HttpRequest) -> bool:
    """Whether the admin is rendering a list (not autocomplete, not a change page)."""
    match = request.resolver_match
    return bool(match and match.url_name and match.url_name.endswith("_changelist"))


class ReadOnlyAdmin(admin.ModelAdmin):
    """For log-like models written only by the system: viewable, never added or edited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SecretFieldsAdminMixin:
    """Forms for models with EncryptedTextFields named in `secret_fields`.

    Editors see a password box that is always empty; leaving it blank keeps the stored
    secret. Viewers without change permission see only whether a secret is set.
    """

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            setattr(self, self._status_name(name), self._status_display(name))

    @staticmethod
    def _status_name(name: str) -> str:
        return f"{name}_status"

    def _status_display(self, name: str) -> Any:
        label = self.model._meta.get_field(name).verbose_name

        @admin.display(description=label)
        def status(obj: Any) -> str:
            return "Set" if getattr(obj, name) else "Not set"

        return status

    def _viewing_only(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if not self._viewing_only(request, obj):
            return fieldsets
        swap = {name: self._status_name(name) for name in self.secret_fields}

        def swapped(field: Any) -> Any:
            if isinstance(field, list | tuple):  # a row of fields
                return tuple(swap.get(f, f) for f in field)
            return swap.get(field, field)

        return [
            (title, {**options, "fields": [swapped(f) for f in options["fields"]]})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if self._viewing_only(request, obj):
            readonly += [self._status_name(name) for name in self.secret_fields]
        return readonly

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        for name in self.secret_fields:
            field = form.base_fields.get(name)
            if field is None:
                continue
            is_set = bool(obj is not None and getattr(obj, name))
            field.required = not is_set and not self.model._meta.get_field(name).blank
            if is_set:
                field.widget.attrs["placeholder"] = "•••••••• stored — leave blank to keep it"
        return form


class ObjectActionsMixin:
    """Offer some of a ModelAdmin's list actions as buttons on the change page too.

    `object_actions` names admin actions; a button runs the same action function on a
    queryset of the one object, with the action's own permission check, by POST only.
    """

    object_actions: tuple[str, ...] = ()
    change_form_template = "admin/object_actions_change_form.html"

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        own = [
            path(
                "<path:object_id>/run/<str:action>/",
                self.admin_site.admin_view(self.run_object_action),
                name=f"{opts.app_label}_{opts.model_name}_run",
            )
        ]
        return own + super().get_urls()

    def allowed_object_actions(
        self, request: HttpRequest, obj: Any = None
    ) -> list[tuple[str, str]]:
        actions = self.get_actions(request)
        return [
            (name, actions[name][2])
            for name in self.object_actions
            if name in actions and (obj is None or self.object_action_applies(obj, name))
        ]

    def object_action_applies(self, obj: Any, name: str) -> bool:
        """Whether the button makes sense for this object (e.g. only while it is pending)."""
        return True

    def run_object_action(self, request: HttpRequest, object_id: str, action: str) -> Any:
        opts = self.model._meta
        if request.method != "POST":
            # A reload or a bookmark of the action's address: back to the object, saying why.
            messages.warning(request, "Nothing was done: actions run from their buttons only.")
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", object_id)
        actions = self.get_actions(request)
        if action not in self.object_actions or action not in actions:
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))  # None for a malformed id too
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} {object_id}.")
        queryset = self.get_queryset(request).filter(pk=obj.pk)
        func = actions[action][0]
        response = func(self, request, queryset)
        return response or redirect(f"admin:{opts.app_label}_{opts.model_name}_change", object_id)

    def render_change_form(self, request: HttpRequest, context: dict, **kwargs: Any) -> Any:
        if kwargs.get("obj") is not None:
            context["object_actions"] = self.allowed_object_actions(request, kwargs["obj"])
        return super().render_change_form(request, context, **kwargs)
